package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 acceptance on real processes and real mutual TLS: node identity is the certificate
 * (a node cannot post as another), revocation with the real provisioning CLI refuses the node
 * at its next connection while its data stays buffered on the node, re-enrolment drains it
 * exactly once, and an enrolment bundle runs as written (only port overrides).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
class FleetSecurityTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Stack stack;
  private static Path bundleA;
  private static Path bundleB;
  private static Stack.Edge edgeB;

  @BeforeAll
  static void startStack() throws Exception {
    stack = new Stack(dir);
    // the CRL file is polled every 200 ms, so a revocation applies from the next handshake on
    stack.startCloudWith("tls.crlPollMs=200");
    bundleA = stack.enrol("edge-a");
    bundleB = stack.enrol("edge-b");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void theEnrolmentBundleRunsAsWrittenAndItsEventsReachKafka() throws Exception {
    // GIVEN the bundle exactly as `enrol` wrote it; only the ports are overridden (free ports),
    // the TLS MQTT listener stays on with the bundle's certificate
    String yamlBefore = Files.readString(bundleB.resolve("edge.yaml"));
    edgeB = stack.startEdge(bundleB, "mqtt.tlsPort=" + Ports.free());
    assertTrue(edgeB.process().lines().stream().anyMatch(l -> l.startsWith("edge-node ready: node=edge-b")
        && !l.contains("mqtts=off")), "ready line with the TLS listener on");

    // WHEN 2 clients publish 100 QoS1 messages each
    MqttLoad.publish(edgeB.mqttPort(), "b1", 2, 100, 50);

    // THEN exactly those 200 are in Kafka, under edge-b
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("b1-"), 200, Duration.ofMinutes(2));
    assertEquals(200, recs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    recs.forEach(r -> assertEquals("edge-b", r.nodeId()));
    assertEquals(yamlBefore, Files.readString(bundleB.resolve("edge.yaml")), "no edits to the bundle");
  }

  @Test
  @Order(2)
  void aNodeClaimingAnotherNodesIdIsRefusedAndNothingOfItIsWritten() throws Exception {
    // GIVEN edge A's certificate with node.id=edge-b (its own data folder)
    Stack.Edge impostor = stack.startEdge(bundleA, "node.id=edge-b", "data.dir=" + dir.resolve("impostor-data"));

    // WHEN it ingests 50 messages
    MqttLoad.publish(impostor.mqttPort(), "imp", 1, 50, 50);

    // THEN the cloud refuses its batches (403 NODE_MISMATCH, counted), the edge keeps them
    Await.until("the cloud counts a NODE_MISMATCH rejection", Duration.ofSeconds(60),
        () -> LocalHttp.metric(stack.cloudHttpPort, "cloud_batches_rejected_total", Map.of("reason", "NODE_MISMATCH")) >= 1);
    Await.until("the impostor reports NODE_MISMATCH", Duration.ofSeconds(30),
        () -> status(impostor).path("forwarder").path("lastError").asText("").contains("NODE_MISMATCH"));
    assertEquals(50, backlog(impostor), "nothing released: all 50 still on the node");
    List<KafkaVerifier.Rec> leaked = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("imp-"), 1, Duration.ofSeconds(5));
    assertEquals(List.of(), leaked, "nothing of the impostor in Kafka");
    System.out.printf("security a: impostor batches rejected %.0f, in Kafka 0, backlog 50%n",
        LocalHttp.metric(stack.cloudHttpPort, "cloud_batches_rejected_total", Map.of("reason", "NODE_MISMATCH")));
    impostor.process().stop(Duration.ofSeconds(20));
  }

  @Test
  @Order(3)
  void aRevokedNodeIsRefusedKeepsItsDataAndDeliversItExactlyOnceAfterReEnrolment() throws Exception {
    // GIVEN edge A running and delivering
    Stack.Edge edgeA = stack.startEdge(bundleA);
    MqttLoad.publish(edgeA.mqttPort(), "a1", 1, 100, 50);
    KafkaVerifier.await(stack.bootstrap(), "edge.events", r -> r.source() != null && r.source().startsWith("a1-"),
        100, Duration.ofMinutes(2), false);

    // WHEN A is revoked with the CLI while A and B run, and the cloud has reloaded the CRL
    stack.provision("revoke", "--dir", stack.fleet.toString(), "--node-id", "edge-a");
    stack.cloud().awaitLine("changed: reloaded", Duration.ofSeconds(30));
    double handshakeFailures = LocalHttp.metric(stack.cloudHttpPort, "cloud_tls_handshake_failures_total", Map.of());
    // A keeps running: its open HTTP/2 connection is refused at its next request (403 REVOKED) and
    // closed, and its next connection at the handshake
    Stack.Edge a = edgeA;
    Await.until("A has released all of a1", Duration.ofSeconds(30), () -> backlog(a) == 0);
    long baseline = backlog(a);
    MqttLoad.publish(a.mqttPort(), "a2", 2, 100, 50);
    MqttLoad.publish(edgeB.mqttPort(), "b2", 1, 100, 50);

    // THEN B is unaffected: its new messages arrive
    List<KafkaVerifier.Rec> b2 = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("b2-"), 100, Duration.ofMinutes(2));
    assertEquals(100, b2.size());
    // A is refused on its open connection, then at the handshake, and keeps all 200 new events buffered
    Await.until("the cloud refuses A's open connection", Duration.ofSeconds(60),
        () -> LocalHttp.metric(stack.cloudHttpPort, "cloud_forbidden_requests_total", Map.of("reason", "REVOKED")) > 0);
    Await.until("the cloud refuses A's handshakes", Duration.ofSeconds(60),
        () -> LocalHttp.metric(stack.cloudHttpPort, "cloud_tls_handshake_failures_total", Map.of()) > handshakeFailures);
    assertEquals(baseline + 200, backlog(a), "A keeps its data");
    List<KafkaVerifier.Rec> leaked = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("a2-"), 1, Duration.ofSeconds(3));
    assertEquals(List.of(), leaked, "nothing of the revoked node in Kafka");
    String aError = status(a).path("forwarder").path("lastError").asText("");
    System.out.printf("security b: A revoked, backlog %d, lastError '%s'%n", backlog(a), aError);

    // WHEN A is re-enrolled (new certificate, same id) and restarted with the new bundle on the same data
    stack.provision("enrol", "--dir", stack.fleet.toString(), "--node-id", "edge-a", "--cloud",
        "localhost:" + stack.ingestPort, "--out", bundleA.toString(), "--force");
    a.process().stop(Duration.ofSeconds(20));
    Stack.Edge again = stack.restartEdge(a);

    // THEN its backlog drains and Kafka holds every A message exactly once
    List<KafkaVerifier.Rec> all = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> "edge-a".equals(r.nodeId()), 300, Duration.ofMinutes(2));
    System.out.printf("security b: after re-enrolment, edge-a records in Kafka %d, duplicate ids %d%n", all.size(),
        KafkaVerifier.duplicateIds(all).size());
    assertEquals(300, all.size());
    assertEquals(0, KafkaVerifier.duplicateIds(all).size());
    assertEquals(200, all.stream().filter(r -> r.source().startsWith("a2-")).count());
    Await.until("A's backlog drains", Duration.ofSeconds(60), () -> backlog(again) == 0);
  }

  // ---------------------------------------------------------------- helpers

  private static JsonNode status(Stack.Edge e) {
    try {
      return JSON.readTree(LocalHttp.get(e.httpPort(), "/status"));
    } catch (Exception ex) {
      throw new AssertionError("GET /status of " + e.bundle().getFileName() + ": " + ex, ex);
    }
  }

  /** Events in the edge's log not yet released by the cloud, over all classes. */
  private static long backlog(Stack.Edge e) {
    long sum = 0;
    for (JsonNode c : status(e).path("log").path("classes")) {
      sum += c.path("backlog").asLong();
    }
    return sum;
  }
}
