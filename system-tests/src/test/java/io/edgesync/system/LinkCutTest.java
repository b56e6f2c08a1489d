package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.testsupport.TcpProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 acceptance 4: the edge-cloud link is cut for 60 s under load (a TCP proxy resets
 * every connection and refuses new ones), then restored. Everything arrives once, and the
 * critical backlog is sent before the normal backlog.
 */
@Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES)
class LinkCutTest {
  private static final int CUT_SECONDS = Integer.getInteger("edgesync.linkCutSeconds", 60);
  private static final int MAX_IN_FLIGHT = 4;
  private static final int MAX_BATCH_EVENTS = 1_000;

  @TempDir static Path dir;
  private static Stack stack;
  private static TcpProxy link;

  @BeforeAll
  static void start() throws Exception {
    stack = new Stack(dir);
    stack.startCloud();
    link = new TcpProxy("127.0.0.1", stack.ingestPort);
  }

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
    if (link != null) {
      link.close();
    }
  }

  @Test
  void linkCutForAMinuteUnderLoadDeliversEverythingOnceCriticalFirst() throws Exception {
    // GIVEN an edge whose only way to the cloud is the proxy, with alarms/# as its critical stream
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-link"),
        "cloud.endpoints=localhost:" + link.port(), "streams.critical=alarms/#",
        "forward.maxInFlight=" + MAX_IN_FLIGHT, "forward.maxBatchEvents=" + MAX_BATCH_EVENTS,
        "forward.retryMaxMs=2000");
    MqttLoad.publish(edge.mqttPort(), "before", 2, 500, 100);
    KafkaVerifier.await(stack.bootstrap(), "edge.events", r -> r.source() != null && r.source().startsWith("before-"),
        1_000, Duration.ofMinutes(1), false);

    // WHEN the link is cut while 20,000 normal and 1,000 critical messages are published, for 60 s
    link.cut();
    long cutAt = System.nanoTime();
    RetryingDevices normal = new RetryingDevices(edge.mqttPort(), "cutnormal", "sensors", 4, 5_000, 100);
    normal.start(Duration.ofMinutes(3));
    normal.awaitAllAcked();
    RetryingDevices critical = new RetryingDevices(edge.mqttPort(), "cutalarm", "alarms", 2, 500, 100);
    critical.start(Duration.ofMinutes(3));
    critical.awaitAllAcked();
    long remaining = Duration.ofSeconds(CUT_SECONDS).toNanos() - (System.nanoTime() - cutAt);
    if (remaining > 0) {
      ChildProcess.pause(remaining / 1_000_000);
    }
    long cloudSideBeforeRestore = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("cut"), 1, Duration.ofSeconds(3), false).size();
    link.restore();

    // THEN every message arrives once, and the critical backlog went first
    List<KafkaVerifier.Rec> normalRecs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("cutnormal-"), normal.total(), Duration.ofMinutes(2));
    List<KafkaVerifier.Rec> criticalRecs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("cutalarm-"), critical.total(), Duration.ofMinutes(1));
    long lastCritical = criticalRecs.stream().mapToLong(KafkaVerifier.Rec::timestamp).max().orElseThrow();
    long normalBeforeLastCritical = normalRecs.stream().filter(r -> r.timestamp() < lastCritical).count();
    System.out.printf("link cut test: cut %d s; during the cut %d reached Kafka; after restore %d/%d normal and "
        + "%d/%d critical arrived, duplicates %d/%d; normal events committed before the last critical one: %d "
        + "(bound: %d in flight x %d per batch)%n", CUT_SECONDS, cloudSideBeforeRestore, normalRecs.size(),
        normal.total(), criticalRecs.size(), critical.total(), KafkaVerifier.duplicateIds(normalRecs).size(),
        KafkaVerifier.duplicateIds(criticalRecs).size(), normalBeforeLastCritical, MAX_IN_FLIGHT - 1, MAX_BATCH_EVENTS);
    assertEquals(0, cloudSideBeforeRestore, "nothing crosses a cut link");
    assertEquals(normal.total(), normalRecs.size());
    assertEquals(critical.total(), criticalRecs.size());
    assertEquals(0, KafkaVerifier.duplicateIds(normalRecs).size());
    assertEquals(0, KafkaVerifier.duplicateIds(criticalRecs).size());
    // the forwarder drains critical first; only batches already in flight may pass it
    assertTrue(normalBeforeLastCritical <= (long) (MAX_IN_FLIGHT - 1) * MAX_BATCH_EVENTS,
        "normal events committed before the last critical one: " + normalBeforeLastCritical);
  }
}
