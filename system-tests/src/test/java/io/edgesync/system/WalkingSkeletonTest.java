package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2 acceptance, on real processes: the provisioning CLI makes the fleet, cloud-ingest
 * runs with its embedded Kafka broker, an edge node runs from its enrolment bundle, and real
 * MQTT clients publish. What arrives in Kafka is counted exactly.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class WalkingSkeletonTest {
  private static final Pattern PAYLOAD_ID = Pattern.compile("\"id\":\"([^\"]+)\"");
  private static final Pattern PAYLOAD_VALUE = Pattern.compile("\"value\":(\\d+)");

  @TempDir static Path dir;
  private static Stack stack;
  private static Stack.Edge edge;

  @BeforeAll
  static void startStack() throws Exception {
    stack = new Stack(dir);
    stack.startCloud();
    edge = stack.startEdge(stack.enrol("edge-1"));
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void tenThousandQos1MessagesFromTenClientsLandExactlyOnceInKafka() throws Exception {
    // GIVEN the running stack; WHEN 10 clients publish 1,000 QoS1 messages each
    MqttLoad.publish(edge.mqttPort(), "acc1", 10, 1_000, 100);

    // THEN exactly 10,000 records are in edge.events, with the headers, in order, once each
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("acc1-"), 10_000, Duration.ofMinutes(2));
    System.out.printf("acceptance 1: published 10000, in Kafka %d, duplicate ids %d%n", recs.size(),
        KafkaVerifier.duplicateIds(recs).size());
    assertEquals(10_000, recs.size(), "records in edge.events");
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size(), "duplicate event-ids");
    assertEquals(List.of(), KafkaVerifier.badHeaders(recs), "records with missing headers");
    assertEquals(List.of(), KafkaVerifier.orderViolations(recs), "per-source order");
    Map<String, Long> lastValue = new HashMap<>();
    for (KafkaVerifier.Rec r : sortedByOffset(recs)) {
      assertEquals("edge-1", r.nodeId());
      Matcher id = PAYLOAD_ID.matcher(r.value());
      assertTrue(id.find(), "payload embedded in the value: " + r.value());
      assertEquals(id.group(1), r.eventId(), "event-id header is the payload id");
      Matcher v = PAYLOAD_VALUE.matcher(r.value());
      assertTrue(v.find());
      long value = Long.parseLong(v.group(1));
      Long prev = lastValue.put(r.source(), value);
      assertTrue(prev == null || prev < value, "per-source publish order in Kafka for " + r.source());
    }
    assertEquals(10, lastValue.size());
    lastValue.values().forEach(v -> assertEquals(1_000L, v));
  }

  @Test
  @Order(2)
  void messagesPublishedWhileTheCloudIsDownAreDeliveredWhenItReturns() throws Exception {
    // GIVEN the cloud is stopped
    int code = stack.cloud().stop(Duration.ofSeconds(30));
    // 143 = 128 + SIGTERM: the JVM's own exit code after its shutdown hooks ran
    assertTrue(code == 0 || code == 143, "cloud-ingest exit code on SIGTERM: " + code);
    assertTrue(stack.cloud().lines().stream().anyMatch(l -> l.contains("cloud-ingest stopped")),
        "cloud-ingest logged a clean stop");

    // WHEN 2 clients publish 1,000 QoS1 messages each: the edge acknowledges them from its log
    MqttLoad.publish(edge.mqttPort(), "acc2", 2, 1_000, 100);

    // THEN once the cloud is back every one of them is delivered, once
    stack.startCloud();
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("acc2-"), 2_000, Duration.ofMinutes(2));
    System.out.printf("acceptance 2: published offline 2000, in Kafka %d, duplicate ids %d%n", recs.size(),
        KafkaVerifier.duplicateIds(recs).size());
    assertEquals(2_000, recs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    assertEquals(List.of(), KafkaVerifier.orderViolations(recs));
  }

  private static List<KafkaVerifier.Rec> sortedByOffset(List<KafkaVerifier.Rec> recs) {
    return recs.stream().sorted((a, b) -> a.partition() != b.partition()
        ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset())).toList();
  }
}
