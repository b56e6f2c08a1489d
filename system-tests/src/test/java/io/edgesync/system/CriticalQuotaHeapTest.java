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
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * instead of dropping anything, and the edge's heap stays under the documented bound
 * ({@value #HEAP_BOUND_MIB} MiB of used heap, docs/ARCHITECTURE-edge.md, "Memory"), read from
 * {@code jvm_memory_used_bytes{area="heap"}} on the edge's /metrics during the burst and the
 * drain. When the cloud comes up every message is acknowledged and lands in Kafka once.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CriticalQuotaHeapTest {
  static final long HEAP_BOUND_MIB = 256;
  private static final int CLIENTS = 4;
  private static final int PER_CLIENT = 10_000;
  private static final int WINDOW = 1_000;
  private static final Pattern HEAP = Pattern.compile(
      "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.eE+-]+)$", Pattern.MULTILINE);
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
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-heap"), "streams.critical=#", "buffer.quotaBytes=2m",
        "forward.retryMaxMs=1000");
    long heapPeak = heapUsed(edge);

    // WHEN 4 publishers (window 1,000 each) try to publish 40,000 critical messages (~4x the quota)
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
      heapPeak = Math.max(heapPeak, heapUsed(edge));
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
      heapPeak = Math.max(heapPeak, heapUsed(edge));
      ChildProcess.pause(200);
    }
    for (Thread t : publishers) {
      t.join(TimeUnit.MINUTES.toMillis(1));
    }
    heapPeak = Math.max(heapPeak, heapUsed(edge));
    assertTrue(errors.isEmpty(), "publish failed: " + errors);
    assertEquals(total, acked.get(), "every message acknowledged");
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("heap-"), (int) total, Duration.ofSeconds(90));
    System.out.printf(Locale.ROOT, "critical quota: Kafka %d records, duplicates %d; edge heap used peak %.1f MiB "
        + "(bound %d MiB, -Xmx384m)%n", recs.size(), KafkaVerifier.duplicateIds(recs).size(),
        heapPeak / 1048576.0, HEAP_BOUND_MIB);
    assertEquals(total, recs.size());
    assertEquals(Set.of(), KafkaVerifier.duplicateIds(recs));
    assertTrue(heapPeak < HEAP_BOUND_MIB * 1024 * 1024, "edge heap used peak " + heapPeak + " bytes");
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

  /** Sum of {@code jvm_memory_used_bytes{area="heap"}} over the heap pools. */
  static long heapUsed(Stack.Edge e) throws Exception {
    Matcher m = HEAP.matcher(LocalHttp.get(e.httpPort(), "/metrics"));
    double sum = 0;
    int pools = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
      pools++;
    }
    assertTrue(pools > 0, "no jvm_memory_used_bytes{area=\"heap\"} on /metrics");
    return (long) sum;
  }
}
