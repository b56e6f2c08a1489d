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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 1, scaled for CI: the cloud is down while 50,000 bulk and 1,000 critical
 * events are published into an edge with a ~3 MiB disk quota (the issue's full size, 200,000 bulk
 * and 2,000 critical: {@code -DofflineQuota.bulkPerClient=100000 -DofflineQuota.critical=2000}). Bulk evicts its oldest (loss
 * ledger), critical is never evicted. When the cloud comes up, Kafka holds published − evicted
 * bulk events, every critical event and every ledger event, each once, and the critical backlog
 * arrives before the remaining bulk backlog (SKIP batches let the cloud accept the evicted gap).
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OfflineQuotaTest {
  private static final int BULK_CLIENTS = 2;
  private static final int BULK_PER_CLIENT = Integer.getInteger("offlineQuota.bulkPerClient", 25_000);
  private static final int CRITICAL = Integer.getInteger("offlineQuota.critical", 1_000);
  private static final int MAX_IN_FLIGHT = 4;
  private static final int MAX_BATCH_EVENTS = 1_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Stack stack;

  @BeforeAll
  static void start() throws Exception {
    stack = new Stack(dir);
  }

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void cloudDownAtTheQuotaEvictsBulkOnlyAndDeliversTheRestOnceCriticalFirst() throws Exception {
    // GIVEN an edge with a 3 MiB quota (bulk drop-oldest, critical backpressure) and its cloud down
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-quota"),
        "streams.critical=alarms/#", "streams.bulk=logs/#", "buffer.quotaBytes=3m",
        "forward.maxInFlight=" + MAX_IN_FLIGHT, "forward.maxBatchEvents=" + MAX_BATCH_EVENTS,
        "forward.retryMaxMs=1000");

    // WHEN 50,000 bulk and 1,000 critical events (by default) are published (all acknowledged)
    List<Thread> publishers = new ArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    for (int c = 0; c < BULK_CLIENTS; c++) {
      publishers.add(publisher(edge.mqttPort(), "qbulk-" + c, "logs/line", BULK_PER_CLIENT, errors));
    }
    publishers.add(publisher(edge.mqttPort(), "qalarm-0", "alarms/zone", CRITICAL, errors));
    for (Thread t : publishers) {
      t.join(TimeUnit.MINUTES.toMillis(2));
    }
    assertTrue(errors.isEmpty(), "publish failed: " + errors);

    // THEN the edge evicted bulk only, and /status and /metrics agree on how much
    JsonNode buffer = status(edge).path("buffer");
    long evicted = buffer.path("classes").path("bulk").path("evictedEvents").asLong();
    long ranges = buffer.path("evicted").path("ranges").asLong();
    assertEquals(0, buffer.path("classes").path("critical").path("evictedEvents").asLong());
    assertEquals((double) evicted, LocalHttp.metric(edge.httpPort(), "edge_log_evicted_events_total", Map.of("class", "bulk")));
    assertTrue(evicted > (long) BULK_CLIENTS * BULK_PER_CLIENT / 5 && ranges > 0,
        "evicted " + evicted + " in " + ranges + " ranges");
    assertTrue(buffer.path("usedBytes").asLong() <= buffer.path("quotaBytes").asLong(), buffer.toString());
    long published = (long) BULK_CLIENTS * BULK_PER_CLIENT;

    // WHEN the cloud comes up
    stack.startCloud();

    // THEN every critical event and ledger event arrives, and exactly published - evicted bulk events, each once
    List<KafkaVerifier.Rec> critical = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && (r.source().startsWith("qalarm-") || r.source().equals("edge:ledger")),
        CRITICAL + (int) ranges, Duration.ofMinutes(1));
    List<KafkaVerifier.Rec> bulk = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("qbulk-"), (int) (published - evicted), Duration.ofMinutes(1));
    List<KafkaVerifier.Rec> ledger = critical.stream().filter(r -> r.source().equals("edge:ledger")).toList();
    long ledgerSum = 0;
    for (KafkaVerifier.Rec r : ledger) {
      ledgerSum += JSON.readTree(r.value()).path("payload").path("count").asLong();
    }
    long lastCritical = critical.stream().mapToLong(KafkaVerifier.Rec::timestamp).max().orElseThrow();
    long bulkBeforeLastCritical = bulk.stream().filter(r -> r.timestamp() < lastCritical).count();
    System.out.printf("offline quota test: published %d bulk + %d critical; evicted %d bulk in %d ranges; Kafka: "
        + "%d bulk, %d critical, %d ledger (counts sum %d); bulk committed before the last critical: %d%n",
        published, CRITICAL, evicted, ranges, bulk.size(), critical.size() - ledger.size(), ledger.size(), ledgerSum,
        bulkBeforeLastCritical);
    assertEquals(CRITICAL, critical.size() - ledger.size());
    assertEquals(ranges, ledger.size());
    assertEquals(published - evicted, bulk.size());
    assertEquals(0, KafkaVerifier.duplicateIds(bulk).size());
    assertEquals(0, KafkaVerifier.duplicateIds(critical).size());
    assertEquals(evicted, ledgerSum, "the loss ledger accounts for every evicted event");
    // the forwarder drains critical first; only batches already in flight may pass it
    assertTrue(bulkBeforeLastCritical <= (long) (MAX_IN_FLIGHT - 1) * MAX_BATCH_EVENTS,
        "bulk events committed before the last critical one: " + bulkBeforeLastCritical);
    // AND the edge's log drains completely (the SKIP batches were accepted)
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (status(edge).path("buffer").path("usedBytes").asLong() > 0 && System.nanoTime() < deadline) {
      ChildProcess.pause(100);
    }
    assertEquals(0, status(edge).path("buffer").path("usedBytes").asLong());
  }

  @Test
  @Order(2)
  void withDownsampleTheReadingsAtTheQuotaArriveAsSummariesThatAccountForEveryOne() throws Exception {
    // GIVEN the cloud down and an edge whose bulk class compacts at a 1 MiB quota (downsample:60)
    if (stack.cloud() != null && stack.cloud().isAlive()) {
      stack.cloud().stop(Duration.ofSeconds(60));
    }
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-downsample"), "streams.bulk=metrics/#",
        "buffer.quotaBytes=1m", "streams.bulk.overflow=downsample:60", "forward.retryMaxMs=1000");

    // WHEN 30,000 readings (value n = 1..30,000) are published, three times the quota
    int readings = 30_000;
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Thread publisher = publisher(edge.mqttPort(), "dsbulk-0", "metrics/temp", readings, errors);
    publisher.join(TimeUnit.MINUTES.toMillis(2));
    assertTrue(errors.isEmpty(), "publish failed: " + errors);
    double downsampled = LocalHttp.metric(edge.httpPort(), "edge_log_downsampled_events_total", Map.of("class", "bulk"));
    assertTrue(downsampled > 0, "nothing downsampled");

    // AND the cloud comes up
    stack.startCloud();

    // THEN Kafka holds summaries and raw readings that together count every reading once and sum to
    // 1 + 2 + ... + 30,000, with no duplicate; nothing was evicted
    long[] counted = {0};
    double[] summed = {0};
    List<KafkaVerifier.Rec> recs = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (counted[0] < readings && System.nanoTime() < deadline) {
      recs = KafkaVerifier.await(stack.bootstrap(), "edge.events",
          r -> r.source() != null && r.source().equals("dsbulk-0"), 1, Duration.ofSeconds(30));
      counted[0] = 0;
      summed[0] = 0;
      for (KafkaVerifier.Rec r : recs) {
        JsonNode payload = JSON.readTree(r.value()).path("payload");
        if (payload.has("summary")) {
          counted[0] += payload.path("summary").path("count").asLong();
          summed[0] += payload.path("fields").path("value").path("sum").asDouble();
        } else {
          counted[0]++;
          summed[0] += payload.path("value").asDouble();
        }
      }
    }
    long summaries = recs.stream().filter(r -> r.value().contains("\"summary\":{")).count();
    System.out.printf("offline quota test (downsample): published %d readings; edge downsampled %.0f; Kafka: %d records "
        + "(%d summaries) accounting for %d readings, sum %.0f%n", readings, downsampled, recs.size(), summaries,
        counted[0], summed[0]);
    assertEquals(readings, counted[0]);
    assertEquals((double) readings * (readings + 1) / 2, summed[0], 1e-3);
    assertTrue(summaries > 0 && recs.size() < readings, recs.size() + " records");
    assertEquals(0, KafkaVerifier.duplicateIds(recs).size());
    assertEquals(0, status(edge).path("buffer").path("classes").path("bulk").path("evictedEvents").asLong());
  }

  /** A Paho client publishing {@code count} QoS1 messages on {@code topic}/n, window 200, in its own thread. */
  private static Thread publisher(int port, String source, String topic, int count, List<Throwable> errors) {
    Thread t = new Thread(() -> {
      try {
        MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, source, new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(200);
        client.connect(options).waitForCompletion(30_000);
        Semaphore window = new Semaphore(200);
        Semaphore done = new Semaphore(0);
        IMqttActionListener listener = new IMqttActionListener() {
          @Override
          public void onSuccess(IMqttToken token) {
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
        for (int n = 1; n <= count; n++) {
          window.acquire();
          String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%d}", source, n,
              System.currentTimeMillis(), n);
          MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
          m.setQos(1);
          client.publish(topic + "/" + (n % 10), m, null, listener);
        }
        if (!done.tryAcquire(count, 2, TimeUnit.MINUTES)) {
          errors.add(new AssertionError(source + ": not every message was acknowledged"));
        }
        client.disconnect().waitForCompletion(10_000);
        client.close();
      } catch (Throwable e) {
        errors.add(e);
      }
    }, "quota-publisher-" + source);
    t.start();
    return t;
  }

  private static JsonNode status(Stack.Edge e) throws Exception {
    return JSON.readTree(LocalHttp.get(e.httpPort(), "/status"));
  }

}
