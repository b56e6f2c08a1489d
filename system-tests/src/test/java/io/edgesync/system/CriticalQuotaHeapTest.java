package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 2: with the cloud down and only {@code critical} traffic (never evicted),
 * a burst far above a 2 MiB quota slows the publishers down (PUBACKs withheld, sockets paused)
 * instead of dropping anything. When the cloud comes up every message is acknowledged and lands in
 * Kafka once. The edge runs with the JVM flags of its systemd unit (the 96 MiB heap that ships,
 * {@link Stack#startEdgeAsInstalled}) under the load that heap is sized for (8 publishers with
 * 1,000 messages in flight each, docs/ARCHITECTURE-edge.md "Memory"): it must not run out of
 * heap ({@code -XX:+ExitOnOutOfMemoryError} would stop it). The used heap and the old generation
 * are sampled on /metrics during the burst and the drain and printed with the full collections.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CriticalQuotaHeapTest {
  private static final int CLIENTS = 8;
  private static final int PER_CLIENT = 5_000;
  private static final int WINDOW = 1_000;
  private static final Map<String, String> HEAP = Map.of("area", "heap");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Stack stack;

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void criticalAtTheQuotaSlowsThePublishersDropsNothingAndKeepsTheHeapBounded() throws Exception {
    // GIVEN an edge with a 2 MiB quota, every topic critical, and its cloud down
    stack = new Stack(dir);
    Stack.Edge edge = stack.startEdgeAsInstalled(stack.enrol("edge-heap"), "streams.critical=#",
        "buffer.quotaBytes=2m", "forward.retryMaxMs=1000");
    double heapMax = LocalHttp.metric(edge.httpPort(), "jvm_memory_max_bytes", HEAP);
    assertTrue(heapMax > 0 && heapMax <= 100 << 20, "the unit's heap: " + heapMax + " bytes");
    Peaks peaks = new Peaks(edge);

    // WHEN 8 publishers (window 1,000 each) try to publish 40,000 critical messages (~4x the quota)
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    AtomicLong acked = new AtomicLong();
    List<MqttAsyncClient> clients = new ArrayList<>();
    List<Thread> publishers = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      publishers.add(publisher(edge.mqttPort(), "heap-" + c, acked, clients, errors));
    }

    // THEN the log reaches the quota and stays blocked: acknowledgements stop, nothing is dropped
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    long lastAcked = -1;
    long stableSince = System.nanoTime();
    JsonNode buffer = null;
    while (System.nanoTime() < deadline) {
      peaks.sample();
      buffer = status(edge).path("buffer");
      long now = acked.get();
      if (now != lastAcked) {
        lastAcked = now;
        stableSince = System.nanoTime();
      } else if (buffer.path("blocked").asBoolean() && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(3)) {
        break;
      }
      ChildProcess.pause(100);
    }
    long ackedWhileBlocked = acked.get();
    long total = (long) CLIENTS * PER_CLIENT;
    System.out.printf(Locale.ROOT, "critical quota: %d of %d acknowledged while blocked; buffer %s%n",
        ackedWhileBlocked, total, buffer);
    assertTrue(buffer.path("blocked").asBoolean(), "log blocked at the quota: " + buffer);
    assertTrue(ackedWhileBlocked < total / 2, "publishers slowed down: " + ackedWhileBlocked + " acked");
    assertTrue(buffer.path("usedBytes").asLong() <= buffer.path("quotaBytes").asLong(), buffer.toString());
    assertEquals(0, buffer.path("evicted").path("events").asLong(), "critical is never evicted");
    assertTrue(errors.isEmpty(), "publish failed: " + errors);
    // a client that got all its messages in before the quota filled has disconnected by itself
    for (MqttAsyncClient c : clients) {
      assertTrue(c.isConnected() || FINISHED.contains(c.getClientId()),
          c.getClientId() + " still connected (slowed, not dropped); errors " + errors);
    }
    assertTrue(clients.stream().anyMatch(MqttAsyncClient::isConnected), "some publisher is held at the quota");

    // WHEN the cloud comes up, THEN every message is acknowledged and lands in Kafka exactly once
    stack.startCloud();
    while (acked.get() < total && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(60)) {
      peaks.sample();
      ChildProcess.pause(200);
    }
    for (Thread t : publishers) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
    peaks.sample();
    assertTrue(errors.isEmpty(), "publish failed: " + errors);
    assertEquals(total, acked.get(), "every message acknowledged");
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("heap-"), (int) total, Duration.ofSeconds(90));
    double fullGcs = LocalHttp.metric(edge.httpPort(), "jvm_gc_pause_seconds_count",
        Map.of("action", "end of major GC"));
    double rssPeak = LocalHttp.metric(edge.httpPort(), "process_resident_memory_peak_bytes", Map.of());
    System.out.printf(Locale.ROOT, "critical quota: Kafka %d records, duplicates %d; edge heap %.0f MiB: used peak "
        + "%.1f MiB, old generation peak %.1f MiB, %.0f full collections; edge RSS peak %.0f MB%n", recs.size(),
        KafkaVerifier.duplicateIds(recs).size(), heapMax / 1048576, peaks.used / 1048576, peaks.old / 1048576,
        fullGcs, rssPeak / 1e6);
    assertEquals(total, recs.size());
    assertEquals(Set.of(), KafkaVerifier.duplicateIds(recs));
    assertTrue(edge.process().isAlive(), "the edge is still running (-XX:+ExitOnOutOfMemoryError)");
    assertTrue(edge.process().lines().stream().noneMatch(l -> l.contains("OutOfMemoryError")),
        "no OutOfMemoryError in the edge's log");
    assertTrue(peaks.used > 0 && peaks.old > 0, "heap sampled on /metrics: used " + peaks.used + ", old " + peaks.old);
    assertTrue(rssPeak > heapMax, "process_resident_memory_peak_bytes on /metrics: " + rssPeak);
  }

  /** Peaks of the edge's used heap and of its old generation (Serial GC's "Tenured Gen"), from /metrics. */
  private static final class Peaks {
    private final Stack.Edge edge;
    double used;
    double old;

    Peaks(Stack.Edge edge) {
      this.edge = edge;
    }

    void sample() {
      used = Math.max(used, LocalHttp.metric(edge.httpPort(), "jvm_memory_used_bytes", HEAP));
      old = Math.max(old, LocalHttp.metric(edge.httpPort(), "jvm_memory_used_bytes",
          Map.of("area", "heap", "id", "Tenured Gen")));
    }
  }

  /** A Paho client publishing PER_CLIENT QoS1 messages on alarms/n, window WINDOW, in its own thread. */
  /** Publishers that got every message acknowledged (and so disconnected). */
  private static final java.util.Set<String> FINISHED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private static Thread publisher(int port, String source, AtomicLong acked, List<MqttAsyncClient> clients,
      List<Throwable> errors) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, source, new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setMaxInflight(WINDOW);
    options.setKeepAliveInterval(300); // paused sockets do not answer PINGREQ while blocked
    client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {
        errors.add(new AssertionError(source + ": connection lost", cause));
      }

      @Override
      public void messageArrived(String topic, MqttMessage message) {
      }

      @Override
      public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
      }
    });
    client.connect(options).waitForCompletion(30_000);
    clients.add(client);
    Thread t = new Thread(() -> {
      try {
        Semaphore window = new Semaphore(WINDOW);
        IMqttActionListener listener = new IMqttActionListener() {
          @Override
          public void onSuccess(IMqttToken token) {
            acked.incrementAndGet();
            window.release();
          }

          @Override
          public void onFailure(IMqttToken token, Throwable e) {
            errors.add(e);
            window.release();
          }
        };
        for (int n = 1; n <= PER_CLIENT; n++) {
          window.acquire();
          String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%d}", source, n,
              System.currentTimeMillis(), n);
          MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
          m.setQos(1);
          client.publish("alarms/" + (n % 10), m, null, listener);
        }
        window.acquire(WINDOW); // every message acknowledged
        FINISHED.add(source);
        client.disconnect().waitForCompletion(10_000);
        client.close();
      } catch (Throwable e) {
        errors.add(e);
      }
    }, "heap-publisher-" + source);
    t.start();
    return t;
  }

  private static JsonNode status(Stack.Edge e) throws Exception {
    return JSON.readTree(LocalHttp.get(e.httpPort(), "/status"));
  }
}
