package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 acceptance 1 on real processes: a 3-node KRaft Kafka cluster (each node its own JVM),
 * two cloud-ingest instances of one tier (topics with replication factor 3 and
 * min.insync.replicas 2), four edge nodes whose endpoint lists name both instances. Under load,
 * one Kafka broker and one ingest instance are SIGKILLed; every acknowledged event must be in
 * Kafka exactly once and in publish order per source.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ScaleOutTest {
  private static final int EDGES = 4;
  private static final int DEVICES_PER_EDGE = 4;
  private static final int PER_DEVICE = 1_500;

  @TempDir static Path dir;
  private static Stack stack;
  private static KafkaCluster kafka;
  private static final int[] ingestPorts = {Ports.free(), Ports.free()};
  private static final int[] httpPorts = {Ports.free(), Ports.free()};
  private static final List<ChildProcess> clouds = new ArrayList<>();
  private static final List<Stack.Edge> edges = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    stack = new Stack(dir);
    kafka = new KafkaCluster(dir.resolve("kafka"), stack.logs, 3);
    kafka.start();
    for (int i = 0; i < 2; i++) {
      clouds.add(stack.startCloudInstance("ingest-" + i, ingestPorts[i], httpPorts[i], kafka.bootstrap(),
          "kafka.replicationFactor=3", "kafka.shards=8", "kafka.partitions=3", "kafka.sessionTimeoutMs=6000",
          "kafka.timeoutMs=20000"));
    }
    for (int e = 0; e < EDGES; e++) {
      // half the edges list instance 0 first, half instance 1: the load is spread before any 421
      int first = e % 2;
      String endpoints = "localhost:" + ingestPorts[first] + ",localhost:" + ingestPorts[1 - first];
      edges.add(stack.startEdge(stack.enrol("scale-" + e), "cloud.endpoints=" + endpoints,
          "forward.retryMaxMs=2000"));
    }
  }

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aBrokerAndAnIngestInstanceKilledUnderLoadLoseAndDuplicateNothing() throws Exception {
    // GIVEN both instances own shards
    String health0 = LocalHttp.get(httpPorts[0], "/health");
    String health1 = LocalHttp.get(httpPorts[1], "/health");
    System.out.printf("scale-out test: instance 0 %s%nscale-out test: instance 1 %s%n", health0, health1);
    assertFalse(health0.contains("\"ownedShards\":[]"), health0);
    assertFalse(health1.contains("\"ownedShards\":[]"), health1);

    // AND 4 devices per edge publishing 1,500 QoS1 messages each, retrying until acknowledged
    List<RetryingDevices> load = new ArrayList<>();
    for (int e = 0; e < EDGES; e++) {
      RetryingDevices d = new RetryingDevices(edges.get(e).mqttPort(), "scale" + e, "sensors", DEVICES_PER_EDGE,
          PER_DEVICE, 50);
      d.start(Duration.ofMinutes(6));
      load.add(d);
    }
    int total = EDGES * DEVICES_PER_EDGE * PER_DEVICE;

    // WHEN, with a quarter of the messages acknowledged (batches flowing, the devices still publishing),
    // one broker and one ingest instance are SIGKILLed
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (load.stream().mapToLong(RetryingDevices::acked).sum() < total / 4 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    long acked = load.stream().mapToLong(RetryingDevices::acked).sum();
    kafka.broker(1).kill();
    clouds.get(0).kill();
    int before = KafkaVerifier.await(kafka.bootstrap(), "edge.events", ScaleOutTest::ours, 1,
        Duration.ofMinutes(3), false).size();
    System.out.printf("scale-out test: SIGKILL of broker 2 and ingest instance 0 with %d of %d acknowledged by the "
        + "edges and >= %d in Kafka%n", acked, total, before);
    for (RetryingDevices d : load) {
      d.awaitAllAcked();
    }

    // THEN every acknowledged event is in Kafka once, in publish order per source
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(kafka.bootstrap(), "edge.events", ScaleOutTest::ours, total,
        Duration.ofMinutes(3));
    System.out.printf("scale-out test: published %d, in Kafka %d, duplicate ids %d%n", total, recs.size(),
        KafkaVerifier.duplicateIds(recs).size());
    assertEquals(total, recs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    assertEquals(List.of(), KafkaVerifier.publishOrderViolations(recs));

    // AND the surviving instance took over every shard of the killed one
    String after = LocalHttp.get(httpPorts[1], "/health");
    System.out.printf("scale-out test: after the kills instance 1 %s%n", after);
    assertTrue(after.contains("\"ownedShards\":[0,1,2,3,4,5,6,7]"), after);
  }

  private static boolean ours(KafkaVerifier.Rec r) {
    return r.source() != null && r.source().startsWith("scale");
  }

}
