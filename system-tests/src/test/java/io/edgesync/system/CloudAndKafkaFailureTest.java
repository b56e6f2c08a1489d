package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 acceptance 2 and 3 on real processes, with the Kafka broker as its own process:
 * cloud-ingest is SIGKILLed mid-batch, and the broker is killed and restarted, under load. The edge
 * backs off and recovers by itself; Kafka must hold every event exactly once.
 */
@Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
class CloudAndKafkaFailureTest {
  @TempDir static Path dir;
  private static Stack stack;
  private static KafkaBroker broker;
  private static Stack.Edge edge;

  @BeforeAll
  static void start() throws Exception {
    stack = new Stack(dir);
    broker = new KafkaBroker(dir.resolve("kafka"), stack.logs);
    broker.start();
    stack.startCloud(broker.bootstrap());
    edge = stack.startEdge(stack.enrol("edge-cf"), "forward.retryMaxMs=2000");
  }

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void cloudIngestKilledThreeTimesMidBatchLosesAndDuplicatesNothing() throws Exception {
    // GIVEN 10 devices publishing 2,000 QoS1 messages each
    RetryingDevices devices = new RetryingDevices(edge.mqttPort(), "cloudkill", "sensors", 10, 2_000, 50);
    devices.start(Duration.ofMinutes(4));

    // WHEN cloud-ingest is SIGKILLed 3 times while batches flow, and started again each time
    for (int kill = 1; kill <= 3; kill++) {
      int inKafka = awaitKafkaProgress("cloudkill-", devices.total() * kill / 5);
      stack.cloud().kill();
      System.out.printf("cloud kill test: SIGKILL %d with %d acknowledged by the edge and >= %d in Kafka%n", kill,
          devices.acked(), inKafka);
      stack.startCloud(broker.bootstrap());
    }
    devices.awaitAllAcked();

    // THEN exactly once in Kafka
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(broker.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("cloudkill-"), devices.total(), Duration.ofMinutes(3));
    System.out.printf("cloud kill test: published %d, in Kafka %d, duplicate ids %d%n", devices.total(), recs.size(),
        KafkaVerifier.duplicateIds(recs).size());
    printStateIfShort(recs, devices.total());
    assertEquals(devices.total(), recs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    assertEquals(List.of(), KafkaVerifier.publishOrderViolations(recs));
  }

  @Test
  void kafkaBrokerRestartUnderLoadLosesAndDuplicatesNothing() throws Exception {
    // GIVEN 10 devices publishing 2,000 QoS1 messages each
    RetryingDevices devices = new RetryingDevices(edge.mqttPort(), "brokerrestart", "sensors", 10, 2_000, 50);
    devices.start(Duration.ofMinutes(4));

    // WHEN the broker crashes mid-load (SIGKILL), stays away for 5 s and comes back. Kafka 4.3.1
    // now and then leaves a transaction its coordinator completed open at the partitions (more
    // often after a SIGTERM stop), hiding later events from read_committed readers and the
    // committed watermark from the writer's reload (a broker bug; docs/OPERATIONS.md,
    // Troubleshooting): the writer keeps what it committed, and its next transaction ends the hang
    int inKafka = awaitKafkaProgress("brokerrestart-", devices.total() / 4);
    broker.kill();
    System.out.printf("broker restart test: broker killed with %d acknowledged by the edge and >= %d in Kafka%n",
        devices.acked(), inKafka);
    ChildProcess.pause(5_000);
    broker.start();
    devices.awaitAllAcked();

    // THEN the edge and the cloud recover without help, and Kafka holds every event once
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(broker.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("brokerrestart-"), devices.total(), Duration.ofMinutes(3));
    System.out.printf("broker restart test: published %d, in Kafka %d, duplicate ids %d%n", devices.total(),
        recs.size(), KafkaVerifier.duplicateIds(recs).size());
    printStateIfShort(recs, devices.total());
    assertEquals(devices.total(), recs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    assertEquals(List.of(), KafkaVerifier.publishOrderViolations(recs));
  }

  /**
   * When Kafka holds fewer records than expected, prints which side holds the rest: the edge's
   * per-class sent/acknowledged sequence numbers and link state, and the cloud's writer health
   * and, per partition, what the test read next to Kafka's last stable offset and open
   * transactions: a hidden (uncommitted or hanging) transaction or a loss (the child logs are
   * kept in target/child-logs).
   */
  private static void printStateIfShort(List<KafkaVerifier.Rec> recs, int expected) {
    if (recs.size() < expected) {
      java.util.Map<Integer, java.util.LongSummaryStatistics> read = new java.util.TreeMap<>();
      recs.forEach(r -> read.computeIfAbsent(r.partition(), k -> new java.util.LongSummaryStatistics()).accept(r.offset()));
      read.forEach((partition, o) -> System.out.printf("read from edge.events-%d: %d records, offsets %d..%d%n",
          partition, o.getCount(), o.getMin(), o.getMax()));
      System.out.println("edge /status: " + LocalHttp.describe(edge.httpPort(), "/status"));
      System.out.println("cloud /health: " + LocalHttp.describe(stack.cloudHttpPort, "/health"));
      System.out.println("Kafka: " + KafkaVerifier.openTransactions(broker.bootstrap(), "edge.events", "edge.watermarks"));
    }
  }

  /** Waits until at least {@code n} records of the prefix are in Kafka (batches are flowing). */
  private static int awaitKafkaProgress(String prefix, int n) {
    return KafkaVerifier.await(broker.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith(prefix), n, Duration.ofMinutes(2), false).size();
  }
}
