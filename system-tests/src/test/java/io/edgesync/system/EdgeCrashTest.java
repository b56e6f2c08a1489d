package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * Issue 3 acceptance 1 and 5 on real processes: the edge is SIGKILLed under load and
 * devices retry what was not acknowledged; a device sends the same event id twice. Kafka
 * must hold every acknowledged message exactly once.
 */
@Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
class EdgeCrashTest {
  @TempDir static Path dir;
  private static Stack stack;

  @BeforeAll
  static void startCloud() throws Exception {
    stack = new Stack(dir);
    stack.startCloud();
  }

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void edgeKilledFiveTimesUnderLoadLosesAndDuplicatesNothing() throws Exception {
    // GIVEN an edge and 20 devices that will publish 2,500 QoS1 messages each, retrying unacknowledged ones
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-crash"));
    RetryingDevices devices = new RetryingDevices(edge.mqttPort(), "crash", "sensors", 20, 2_500, 50);
    long seed = System.nanoTime();
    Random random = new Random(seed);
    devices.start(Duration.ofMinutes(5));

    // WHEN the edge is SIGKILLed 5 times at random points of the load and started again
    for (int kill = 1; kill <= 5; kill++) {
      long target = devices.total() * kill / 7 + random.nextInt(devices.total() / 14);
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (devices.acked() < target && System.nanoTime() < deadline) {
        ChildProcess.pause(5);
      }
      long ackedAtKill = devices.acked();
      edge.process().kill();
      System.out.printf("edge crash test (seed %d): SIGKILL %d at %d acknowledged%n", seed, kill, ackedAtKill);
      edge = stack.restartEdge(edge);
    }
    devices.awaitAllAcked();

    // THEN every acknowledged message is in Kafka exactly once, in each device's order
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("crash-"), devices.total(), Duration.ofMinutes(3));
    System.out.printf("edge crash test: published %d, acknowledged %d, resent by devices %d, reconnects %d, "
        + "in Kafka %d, duplicate ids %d%n", devices.total(), devices.acked(), devices.resent(), devices.reconnects(),
        recs.size(), KafkaVerifier.duplicateIds(recs).size());
    assertEquals(devices.total(), recs.size(), "records in Kafka");
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size(), "duplicate event ids");
    assertEquals(List.of(), KafkaVerifier.publishOrderViolations(recs), "per-device order");
    assertEquals(List.of(), KafkaVerifier.orderViolations(recs), "per-source seq order");
  }

  @Test
  void theSameEventIdPublishedTwiceByADeviceLandsOnce() throws Exception {
    // GIVEN an edge
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-dup"));

    // WHEN a device publishes one reading, reconnects and publishes it again (an application retry),
    // then publishes a second reading
    String first = "{\"id\":\"dup-1\",\"ts\":1763760000000,\"value\":1}";
    publishOnce(edge.mqttPort(), "dup-device", first);
    publishOnce(edge.mqttPort(), "dup-device", first);
    publishOnce(edge.mqttPort(), "dup-device", "{\"id\":\"dup-2\",\"ts\":1763760000001,\"value\":2}");

    // THEN Kafka holds each id once
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> "dup-device".equals(r.source()), 2, Duration.ofMinutes(1));
    System.out.printf("duplicate id test: published 3 (one id twice), in Kafka %d%n", recs.size());
    assertEquals(List.of("dup-1", "dup-2"), recs.stream().map(KafkaVerifier.Rec::eventId).sorted().toList());
  }

  @Test
  void aWipedNodeThatKeepsItsIdKeepsItsNewEventsUntilReEnrolled() throws Exception {
    // GIVEN a node whose 200 events are in Kafka (the cloud's watermark for its class is 200)
    Path data = dir.resolve("wiped-data");
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-wiped"), "data.dir=" + data);
    publishMany(edge.mqttPort(), "wiped-a", 200);
    assertEquals(200, KafkaVerifier.await(stack.bootstrap(), "edge.events", r -> "wiped-a".equals(r.source()), 200,
        Duration.ofMinutes(1)).size());

    // WHEN its data folder is lost, it starts again under the same id, and a device publishes 250
    // more: its new sequence numbers 1..250 run past the old watermark, so nothing about the numbers
    // alone tells them from the old ones
    edge.process().kill();
    deleteTree(data);
    edge = stack.restartEdge(edge);
    publishMany(edge.mqttPort(), "wiped-b", 250);

    // THEN the cloud refuses them as another log's (the frame's log epoch is not the one its
    // watermark counts) instead of taking 1..200 for duplicates, and the edge keeps them and says why
    int http = edge.httpPort();
    Await.until("409 LOG_EPOCH_MISMATCH: edge_forward_batches_total{result=log_epoch}", Duration.ofMinutes(1),
        () -> LocalHttp.metric(http, "edge_forward_batches_total", Map.of("result", "log_epoch")) >= 1,
        () -> LocalHttp.describe(http, "/status"));
    Await.until("all 250 in the log", Duration.ofSeconds(30),
        () -> LocalHttp.metric(http, "edge_log_backlog_events", Map.of()) == 250.0, () -> LocalHttp.describe(http, "/status"));
    assertTrue(LocalHttp.get(http, "/status").contains("Re-enrol the node under a new id"),
        LocalHttp.describe(http, "/status"));
    assertEquals(List.of(), KafkaVerifier.await(stack.bootstrap(), "edge.events", r -> "wiped-b".equals(r.source()),
        1, Duration.ofSeconds(5), false), "nothing of the new life in Kafka yet");
    assertTrue(LocalHttp.metric(stack.cloudHttpPort, "cloud_log_epoch_mismatches_total", Map.of()) >= 1);
    // AND the fleet dashboard shows the class as held, with the reason, from the node's heartbeat
    Await.until("the dashboard's view of edge-wiped names its held class", Duration.ofSeconds(30),
        () -> LocalHttp.describe(stack.cloudHttpPort, "/api/nodes/edge-wiped").contains("another log"));
    String view = LocalHttp.get(stack.cloudHttpPort, "/api/nodes/edge-wiped");
    assertTrue(view.contains("\"problems\":{\"normal\":\"the cloud refuses normal classSeq ")
        && view.contains("Re-enrol the node under a new id"), view);

    // AND re-enrolled under a new id on the same data folder, the node delivers all 250 once
    edge.process().kill();
    edge = stack.startEdge(stack.enrol("edge-wiped-2"), "data.dir=" + data);
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> "wiped-b".equals(r.source()), 250, Duration.ofMinutes(1));
    System.out.printf("wiped node test: 200 before the wipe, 250 after it; in Kafka after re-enrolment %d%n",
        recs.size());
    assertEquals(250, recs.size(), "records in Kafka");
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size(), "duplicate event ids");
    assertTrue(recs.stream().allMatch(r -> "edge-wiped-2".equals(r.nodeId())), "under the new id");
  }

  private static void publishMany(int port, String clientId, int n) throws Exception {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    c.connect(o);
    for (int i = 0; i < n; i++) {
      MqttMessage m = new MqttMessage(("{\"id\":\"" + clientId + "-" + i + "\",\"value\":" + i + "}")
          .getBytes(StandardCharsets.UTF_8));
      m.setQos(1);
      c.publish("sensors/" + clientId + "/temp", m);
    }
    c.disconnect();
    c.close();
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(root)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(f);
      }
    }
  }

  private static void publishOnce(int port, String clientId, String json) throws Exception {
    MqttClient c = new MqttClient("tcp://127.0.0.1:" + port, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    c.connect(o);
    MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
    m.setQos(1);
    c.publish("sensors/" + clientId + "/temp", m);
    c.disconnect();
    c.close();
  }
}
