package io.edgesync.edge.mqtt;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.log.QuotaSettings;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §6.4 with critical at the disk quota: the publisher is slowed (PUBACK withheld, socket
 * paused), nothing is dropped, and once the cloud commits (simulated by releasing the log) every
 * message is stored exactly once.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MqttQuotaBackpressureTest {
  private static final long QUOTA = 1024 * 1024;
  private static final int MESSAGES = 30_000; // ~9.5 MiB of envelopes: the quota is reached early in the burst

  @TempDir
  Path dir;

  @Test
  void criticalAtTheQuotaSlowsAPahoPublisherAndLosesNothing(Vertx vertx) throws Exception {
    // GIVEN an edge log with a 1 MiB quota, alarms/# critical (backpressure), no forwarder
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096)
        .withQuota(new QuotaSettings(QUOTA, 0.95, 0.90, QuotaSettings.defaultPolicies())), vertx, registry);
    MqttIngest ingest = new MqttIngest(vertx, IngestSettings.plain("127.0.0.1", 0, 262_144)
        .withStreams(List.of(TopicFilter.parse("alarms/#")), List.of()), log, registry);
    await(ingest.start(), 20);
    MqttAsyncClient device = new MqttAsyncClient("tcp://127.0.0.1:" + ingest.actualPort(), "alarm-panel",
        new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setMaxInflight(MESSAGES);
    device.connect(options).waitForCompletion(10_000);

    // WHEN it publishes 30,000 QoS1 alarms without waiting (the client's window is large)
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      String payload = "{\"id\":\"a-" + i + "\",\"pad\":\"" + "x".repeat(200) + "\"}";
      tokens.add(device.publish("alarms/zone-" + (i % 7), payload.getBytes(StandardCharsets.UTF_8), 1, false));
    }

    // THEN above the high watermark, with nothing to evict, the log pauses the publisher's socket and
    // (at the quota) holds appends; once the writer is idle, every stored alarm is acknowledged
    Poll.until("the publisher paused at the quota and the writer idle", Duration.ofSeconds(30),
        () -> "atQuota=" + log.atQuota() + " paused=" + ingest.pausedConnections() + " queue=" + log.queueDepth()
            + " held=" + log.heldAppends() + " pending=" + log.pendingBytes() + " stored="
            + log.lastClassSeq(Priority.CRITICAL) + " acked=" + tokens.stream().filter(IMqttDeliveryToken::isComplete)
            .count(),
        v -> log.atQuota() && ingest.pausedConnections() == 1 && log.queueDepth() == 0
            && (log.heldAppends() > 0 || log.pendingBytes() == 0)
            && tokens.stream().filter(IMqttDeliveryToken::isComplete).count() == log.lastClassSeq(Priority.CRITICAL));
    assertTrue(log.usedBytes() <= QUOTA, "used " + log.usedBytes());
    assertEquals(1.0, registry.get("edge.backpressure.paused.connections").gauge().value());
    long stored = log.lastClassSeq(Priority.CRITICAL);
    assertTrue(stored < MESSAGES, "stored " + stored);

    // AND it stays slowed: nothing more stored or acknowledged, nothing dropped, nothing evicted
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    while (System.nanoTime() < until) {
      assertEquals(stored, log.lastClassSeq(Priority.CRITICAL), "stored more while at the quota");
    }
    assertEquals(stored, tokens.stream().filter(IMqttDeliveryToken::isComplete).count());
    assertEquals(0.0, registry.find("edge.mqtt.dropped").counters().stream().mapToDouble(Counter::count).sum());
    assertEquals(0.0, registry.find("edge.mqtt.rejected").counters().stream().mapToDouble(Counter::count).sum());
    assertEquals(0, log.evictedEvents(Priority.CRITICAL));

    // WHEN the cloud commits what is stored (simulated: read it, then release it), until all arrived
    Set<String> ids = new HashSet<>();
    int[] duplicates = {0};
    Poll.until("every alarm stored and acknowledged", Duration.ofSeconds(60), () -> {
      long upTo = log.lastClassSeq(Priority.CRITICAL);
      for (Event e : LogContents.of(log, Priority.CRITICAL)) {
        if (e.classSeq() <= upTo && !ids.add(e.explicitId())) {
          duplicates[0]++;
        }
      }
      log.release(Priority.CRITICAL, upTo);
      return tokens.stream().allMatch(IMqttDeliveryToken::isComplete) && ids.size() == MESSAGES;
    });

    // THEN every message was stored exactly once and acknowledged, and the socket runs again
    assertEquals(MESSAGES, ids.size());
    assertEquals(0, duplicates[0]);
    assertEquals(MESSAGES, log.lastClassSeq(Priority.CRITICAL));
    assertTrue(tokens.stream().allMatch(t -> t.getException() == null));
    Poll.until("the socket resumed", Duration.ofSeconds(10), () -> ingest.pausedConnections() == 0 && !log.atQuota());
    device.disconnect().waitForCompletion(5_000);
    device.close();
    await(ingest.stop(), 20);
    log.close();
  }
}
