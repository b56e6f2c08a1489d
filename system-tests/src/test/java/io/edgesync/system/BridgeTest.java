package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Issue 4 acceptance 3, on real processes: a real upstream broker (HiveMQ CE embedded, in its
 * own JVM from test-brokers), a Paho publisher sending 5,000 QoS1 messages with ids on
 * {@code plant/#}, and an edge bridging {@code plant/#} (persistent session, PUBACK only after
 * the durable append) to the cloud and Kafka. The edge is killed with SIGKILL mid-stream and
 * started again on the same data: the upstream broker redelivers what was not acknowledged,
 * and Kafka holds each message exactly once, in publish order for the bridge's source.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class BridgeTest {
  private static final int N = 5_000;
  private static final int WINDOW = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Stack stack;
  private static ChildProcess broker;

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close(); // edges first: the bridge disconnects before its broker goes
    }
    if (broker != null && broker.isAlive()) {
      try {
        broker.stop(Duration.ofSeconds(30));
      } catch (AssertionError e) {
        System.err.println(e.getMessage());
      }
    }
  }

  @Test
  void killedEdgeGetsTheUnacknowledgedMessagesRedeliveredAndKafkaHoldsEachOnceInOrder() throws Exception {
    // GIVEN cloud + Kafka, a HiveMQ upstream broker, and an edge bridging plant/# from it
    stack = new Stack(dir);
    stack.startCloud();
    int upstreamPort = Ports.free();
    broker = ChildProcess.java("hivemq", Stack.jar("test-brokers"), stack.logs,
        List.of(dir.resolve("hivemq").toString(), String.valueOf(upstreamPort)));
    broker.awaitLine("hivemq ready", Stack.START_TIMEOUT);
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-bridge"),
        "bridge.names=plant", "bridge.plant.endpoint=127.0.0.1:" + upstreamPort, "bridge.plant.topics=plant/#",
        "bridge.plant.clientId=edge-bridge-plant", "bridge.plant.reconnectMaxMs=500");
    awaitBridge(edge, "subscribed", 1);

    // WHEN a publisher sends N QoS1 messages with ids to the upstream broker, and the edge is
    // killed (SIGKILL) once a third of them reached it, then started again on the same data
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    AtomicInteger published = new AtomicInteger();
    Thread publisher = publisher(upstreamPort, published, errors);
    awaitBridge(edge, "messages", N / 3);
    long bridgedBeforeKill = bridge(edge).path("messages").asLong();
    edge.process().kill();
    int publishedAtKill = published.get();
    Stack.Edge restarted = stack.restartEdge(edge);
    publisher.join(TimeUnit.MINUTES.toMillis(2));
    assertTrue(errors.isEmpty(), "publish failed: " + errors);
    assertEquals(N, published.get());

    // THEN Kafka holds every message exactly once, in publish order for the bridge's source
    List<KafkaVerifier.Rec> recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> "bridge:plant".equals(r.source()), N, Duration.ofSeconds(90));
    JsonNode after = bridge(restarted);
    System.out.printf(Locale.ROOT, "bridge test: published %d (%d when the edge was killed, %d bridged by then); "
        + "Kafka %d records, duplicate ids %d; bridge status after the restart %s%n", N, publishedAtKill,
        bridgedBeforeKill, recs.size(), KafkaVerifier.duplicateIds(recs).size(), after);
    assertEquals(N, recs.size(), "bridge records in edge.events");
    assertEquals(Set.of(), KafkaVerifier.duplicateIds(recs), "duplicate event-ids");
    Set<String> ids = new HashSet<>();
    recs.forEach(r -> ids.add(r.eventId()));
    for (int n = 1; n <= N; n++) {
      assertTrue(ids.contains("p-" + n), "missing p-" + n);
    }
    assertEquals(List.of(), KafkaVerifier.badHeaders(recs), "headers, key = source");
    assertEquals(List.of(), KafkaVerifier.orderViolations(recs), "per-source node-seq order");
    assertEquals(List.of(), KafkaVerifier.publishOrderViolations(recs), "publish order of the bridge source");
    // AND the restarted bridge resumed the persistent session, which redelivered the unacknowledged messages
    assertTrue(after.path("redeliveries").asLong() > 0, "upstream redeliveries: " + after);
    assertTrue(after.path("connected").asBoolean(), after.toString());
    assertTrue(after.path("sessionPresent").asBoolean(), after.toString());
    assertEquals(0, after.path("appendFailures").asLong(), after.toString());
  }

  /** A Paho client publishing N QoS1 messages {@code {"id":"p-n",...,"value":n}} on plant/line/n%4, paced. */
  private static Thread publisher(int port, AtomicInteger published, List<Throwable> errors) {
    Thread t = new Thread(() -> {
      try {
        MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, "plant-publisher",
            new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(WINDOW);
        client.connect(options).waitForCompletion(30_000);
        Semaphore window = new Semaphore(WINDOW);
        Semaphore done = new Semaphore(0);
        IMqttActionListener listener = new IMqttActionListener() {
          @Override
          public void onSuccess(IMqttToken token) {
            published.incrementAndGet();
            window.release();
            done.release();
          }

          @Override
          public void onFailure(IMqttToken token, Throwable e) {
            errors.add(e);
            window.release();
            done.release();
          }
        };
        long start = System.nanoTime();
        for (int n = 1; n <= N; n++) {
          window.acquire();
          // paced at ~2,000 msg/s so that the kill lands mid-stream
          long due = start + n * 500_000L;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
          String json = String.format(Locale.ROOT, "{\"id\":\"p-%d\",\"ts\":%d,\"value\":%d}", n,
              System.currentTimeMillis(), n);
          MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
          m.setQos(1);
          client.publish("plant/line/" + (n % 4), m, null, listener);
        }
        if (!done.tryAcquire(N, 2, TimeUnit.MINUTES)) {
          errors.add(new AssertionError("not every message was acknowledged by the upstream broker"));
        }
        client.disconnect().waitForCompletion(10_000);
        client.close();
      } catch (Throwable e) {
        errors.add(e);
      }
    }, "plant-publisher");
    t.start();
    return t;
  }

  private static JsonNode bridge(Stack.Edge e) throws Exception {
    return JSON.readTree(LocalHttp.get(e.httpPort(), "/status")).path("bridges").path("plant");
  }

  /** Polls the bridge's /status until {@code field} (a boolean, or a number) reaches {@code min}. */
  private static void awaitBridge(Stack.Edge e, String field, long min) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    JsonNode b = null;
    while (System.nanoTime() < deadline) {
      b = bridge(e);
      JsonNode v = b.path(field);
      if (v.isBoolean() ? v.asBoolean() : v.asLong() >= min) {
        return;
      }
      ChildProcess.pause(20);
    }
    throw new AssertionError("bridge " + field + " did not reach " + min + ": " + b + "\n" + e.process().tail(30));
  }
}
