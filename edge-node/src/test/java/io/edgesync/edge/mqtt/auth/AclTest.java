package io.edgesync.edge.mqtt.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.mqtt.TopicFilter;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclTest {
  private final Acl acl = new Acl(List.of(TopicFilter.parse("sensors/1/#"), TopicFilter.parse("status/+")),
      List.of(TopicFilter.parse("alerts/+/high"), TopicFilter.parse("cmd/1/#")));

  @Test
  void publishMatchesTheFilters() {
    assertTrue(acl.mayPublish("sensors/1"));
    assertTrue(acl.mayPublish("sensors/1/temp"));
    assertTrue(acl.mayPublish("status/x"));
    assertFalse(acl.mayPublish("status/x/y"));
    assertFalse(acl.mayPublish("sensors/2/temp"));
    assertFalse(acl.mayPublish("$SYS/x"));
  }

  @Test
  void subscribeMustBeCoveredByAnAllowedFilter() {
    assertTrue(acl.maySubscribe("alerts/a/high"));
    assertTrue(acl.maySubscribe("alerts/+/high"));
    assertFalse(acl.maySubscribe("alerts/#"), "wider than allowed");
    assertFalse(acl.maySubscribe("alerts/+/+"));
    assertTrue(acl.maySubscribe("cmd/1/#"));
    assertTrue(acl.maySubscribe("cmd/1/+/x"));
    assertTrue(acl.maySubscribe("cmd/1"));
    assertFalse(acl.maySubscribe("cmd/+/x"));
    assertFalse(acl.maySubscribe("#"));
    assertFalse(new Acl(List.of(), List.of(TopicFilter.parse("#"))).maySubscribe("$SYS/#"));
    assertTrue(Acl.ALL.maySubscribe("#"));
  }
}
