package io.edgesync.edge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.model.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicFilterTest {

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource({
      "sensors/temp, sensors/temp, true",
      "sensors/temp, sensors/Temp, false",
      "sensors/temp, sensors/temp/x, false",
      "sensors/+, sensors/temp, true",
      "sensors/+, sensors, false",
      "sensors/+, sensors/, true",
      "sensors/+/temp, sensors/dev-7/temp, true",
      "sensors/+/temp, sensors/dev-7/hum, false",
      "+/+, a/b, true",
      "+/+, a, false",
      "+, a, true",
      "+, /a, false",
      "/+, /a, true",
      "sensors/#, sensors, true",
      "sensors/#, sensors/a/b/c, true",
      "sensors/#, sensorsx/a, false",
      "#, a/b/c, true",
      "#, /, true",
      "#, $SYS/broker, false",
      "+/broker, $SYS/broker, false",
      "$SYS/#, $SYS/broker, true",
      "a//b, a//b, true",
      "a/+/b, a//b, true",
  })
  void matchesLikeMqtt(String filter, String topic, boolean expected) {
    assertEquals(expected, TopicFilter.parse(filter).matches(topic));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a/#/b", "a#", "a/b+", "+a/b", "#/", "a/\0"})
  void invalidFiltersAreRefused(String filter) {
    assertThrows(IllegalArgumentException.class, () -> TopicFilter.parse(filter));
  }

  @Test
  void wildcardDetectionAndEquality() {
    assertTrue(TopicFilter.parse("a/+").isWildcard());
    assertFalse(TopicFilter.parse("a/b").isWildcard());
    assertEquals(TopicFilter.parse("a/#"), TopicFilter.parse("a/#"));
    assertEquals("a/#", TopicFilter.parse("a/#").toString());
  }

  @Test
  void classifierPrefersCriticalThenBulkElseNormal() {
    StreamClassifier c = new StreamClassifier(
        List.of(TopicFilter.parse("alarms/#"), TopicFilter.parse("+/fire")),
        List.of(TopicFilter.parse("logs/#"), TopicFilter.parse("alarms/debug/#")));
    assertEquals(Priority.CRITICAL, c.classify("alarms/zone-1"));
    assertEquals(Priority.CRITICAL, c.classify("alarms/debug/x"), "critical wins over bulk");
    assertEquals(Priority.CRITICAL, c.classify("hall/fire"));
    assertEquals(Priority.BULK, c.classify("logs/app/1"));
    assertEquals(Priority.NORMAL, c.classify("sensors/dev-7/temp"));
    assertEquals(Priority.NORMAL, new StreamClassifier(List.of(), List.of()).classify("alarms/x"));
  }
}
