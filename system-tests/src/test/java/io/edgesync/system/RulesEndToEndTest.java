package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 acceptance 1 and 4 end to end, on real processes: a rule fires locally on the
 * edge's own MQTT broker and in Kafka {@code edge.alerts} with the trigger's event id; a
 * schema violation and a non-JSON payload land in {@code edge.deadletter} with a reason,
 * while valid events on the same connection are unaffected.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RulesEndToEndTest {
  private static final String RULES = """
      rules:
        - id: over-temp
          when: "topic.startsWith('sensors/') && payload.value > 80.0"
          action: alert
          severity: high
      schemas:
        - match: "sensors/+/temp"
          json: true
          required: {value: number}
          ranges: {value: [-50, 150]}
      """;

  @TempDir static Path dir;
  private static Stack stack;
  private static Stack.Edge edge;

  @BeforeAll
  static void start() throws Exception {
    stack = new Stack(dir);
    stack.startCloud();
    Path bundle = stack.enrol("edge-rules");
    Files.writeString(bundle.resolve("rules.yaml"), RULES);
    edge = stack.startEdge(bundle, "rules.file=rules.yaml");
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void overThresholdReadingAlertsLocallyAndInKafkaAndBadPayloadsBecomeDeadLetters() throws Exception {
    // GIVEN a local actuator subscribed to the rule's alert topic
    BlockingQueue<String> local = new ArrayBlockingQueue<>(10);
    MqttClient actuator = new MqttClient("tcp://127.0.0.1:" + edge.mqttPort(), "actuator", new MemoryPersistence());
    actuator.connect(new MqttConnectOptions());
    actuator.subscribe("alerts/over-temp", 1, (t, m) -> local.add(new String(m.getPayload(), StandardCharsets.UTF_8)));

    // WHEN a sensor publishes a normal reading, an over-threshold one, an out-of-range one and a non-JSON one
    MqttClient sensor = new MqttClient("tcp://127.0.0.1:" + edge.mqttPort(), "boiler-1", new MemoryPersistence());
    sensor.connect(new MqttConnectOptions());
    publish(sensor, "{\"id\":\"r-1\",\"value\":21.5}");
    long sentAt = System.nanoTime();
    publish(sensor, "{\"id\":\"r-2\",\"value\":95.0}");
    String alert = local.poll(10, TimeUnit.SECONDS);
    long localMs = (System.nanoTime() - sentAt) / 1_000_000;
    publish(sensor, "{\"id\":\"r-3\",\"value\":900}");
    publish(sensor, "not json at all");
    publish(sensor, "{\"id\":\"r-5\",\"value\":22.0}");

    // THEN the actuator got the alert, naming the rule and the trigger's event id
    assertNotNull(alert, "local alert on alerts/over-temp");
    assertTrue(alert.contains("\"ruleId\":\"over-temp\"") && alert.contains("\"eventId\":\"r-2\""), alert);
    // AND edge.alerts holds one record carrying the trigger's event id
    List<KafkaVerifier.Rec> alerts = KafkaVerifier.await(stack.bootstrap(), "edge.alerts",
        r -> "edge-rules".equals(r.nodeId()), 1, Duration.ofMinutes(1));
    assertEquals(1, alerts.size());
    assertEquals("r-2", alerts.get(0).eventId());
    // AND the two bad payloads are dead letters with reasons, the three good ones are events
    List<KafkaVerifier.Rec> dead = KafkaVerifier.await(stack.bootstrap(), "edge.deadletter",
        r -> "boiler-1".equals(r.source()), 2, Duration.ofMinutes(1));
    List<KafkaVerifier.Rec> events = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> "boiler-1".equals(r.source()), 3, Duration.ofMinutes(1));
    System.out.printf("rules end to end: local alert after %d ms; edge.alerts %d (event-id %s); dead letters %d %s; "
        + "events %d%n", localMs, alerts.size(), alerts.get(0).eventId(), dead.size(),
        dead.stream().map(KafkaVerifier.Rec::reason).toList(), events.size());
    assertEquals(2, dead.size());
    dead.forEach(d -> assertTrue(d.reason() != null && !d.reason().isBlank(), "reason header on " + d));
    assertEquals(List.of("r-1", "r-2", "r-5"), events.stream().map(KafkaVerifier.Rec::eventId).sorted().toList());
    sensor.disconnect();
    actuator.disconnect();
  }

  private static void publish(MqttClient client, String payload) throws Exception {
    MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
    m.setQos(1);
    client.publish("sensors/boiler-1/temp", m);
  }
}
