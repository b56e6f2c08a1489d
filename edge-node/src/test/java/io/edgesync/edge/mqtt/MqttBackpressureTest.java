package io.edgesync.edge.mqtt;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.RawMqtt;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Above the high watermark of the log queue the publishing socket stops being read. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttBackpressureTest {
  @TempDir
  Path dir;

  @Test
  void aPublisherIsPausedAboveTheHighWatermarkAndResumedBelowTheLow(Vertx vertx) throws Exception {
    // GIVEN a log queue of 100 whose writer is held after its first group commit
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), new LogSettings(100, 64L * 1024 * 1024, 4096), vertx, registry);
    MqttIngest ingest = new MqttIngest(vertx, IngestSettings.plain("127.0.0.1", 0, 262_144), log, registry);
    await(ingest.start(), 20);
    CountDownLatch releaseWriter = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    log.onDurable(() -> {
      if (first.compareAndSet(true, false)) {
        try {
          releaseWriter.await(30, TimeUnit.SECONDS); // test only: holds the writer thread
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    byte[] payload = "{\"v\":1}".getBytes(StandardCharsets.UTF_8);
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect("fast-publisher");
      raw.publishQos1("sensors/fast", 1, payload, false);
      assertEquals(1, raw.readPuback());

      // WHEN 80 more QoS1 messages arrive while the writer is held
      for (int id = 2; id <= 81; id++) {
        raw.publishQos1("sensors/fast", id, payload, false);
      }

      // THEN the socket is paused once the queue reaches 75 %, before the queue is full
      Poll.until("the publisher paused", Duration.ofSeconds(10), () -> ingest.pausedConnections() == 1);
      assertEquals(1.0, registry.get("edge.mqtt.pauses").counter().count());
      int depth = log.queueDepth();
      assertTrue(depth >= 75 && depth <= 81, "queue depth " + depth);

      // AND what it sends while paused is not read (no log-full disconnect happens)
      for (int id = 82; id <= 120; id++) {
        raw.publishQos1("sensors/fast", id, payload, false);
      }
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
      while (System.nanoTime() < until) {
        assertTrue(log.queueDepth() <= 81, "queue grew while paused: " + log.queueDepth());
      }
      assertEquals(0.0, registry.get("edge.log.queue.full").counter().count());

      // WHEN the writer runs again
      releaseWriter.countDown();

      // THEN the socket is resumed and every message is acknowledged and stored once
      Set<Integer> acked = new HashSet<>();
      for (int i = 2; i <= 120; i++) {
        acked.add(raw.readPuback());
      }
      assertEquals(119, acked.size());
      Poll.until("no paused socket", Duration.ofSeconds(10), () -> ingest.pausedConnections() == 0);
    }
    assertEquals(120, LogContents.all(log).size());
    await(ingest.stop(), 20);
    log.close();
  }
}
