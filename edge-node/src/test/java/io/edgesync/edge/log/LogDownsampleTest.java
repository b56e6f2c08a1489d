package io.edgesync.edge.log;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code streams.bulk.overflow: downsample:60} at the disk quota (issue 4): old readings are
 * compacted into one summary per source and minute instead of being dropped, so the count and the
 * sum of every source's values survive exactly, and each compaction has a loss-ledger event.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LogDownsampleTest {
  private static final long QUOTA = 2L * 1024 * 1024;
  private static final int READINGS = 20_000;
  private static final int SOURCES = 4;
  private static final long T0 = 1_763_769_600_000L; // a whole minute

  @TempDir
  Path dir;

  /** Reading i: source sensor-(i % 4), value i % 100 (+ 0.5 on odd i), 10 ms apart: 200 s of data. */
  private static byte[] reading(int i) {
    double value = (i % 100) + (i % 2 == 1 ? 0.5 : 0);
    String payload = "{\"value\":" + value + ",\"seq\":" + i + ",\"unit\":\"C\",\"pad\":\"" + "x".repeat(120) + "\"}";
    String source = "sensor-" + (i % SOURCES);
    return EnvelopeCodec.encode(new Event(0, 0, Priority.BULK, source, "telemetry/" + source, null, T0 + i * 10L,
        T0 + i * 10L, payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static double value(int i) {
    return (i % 100) + (i % 2 == 1 ? 0.5 : 0);
  }

  @Test
  void atTheQuotaOldReadingsBecomeOneSummaryPerSourceAndMinuteAndNothingIsLost(Vertx vertx) {
    // GIVEN a 2 MiB quota with bulk = downsample:60 and no forwarder
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<io.edgesync.model.Priority, OverflowPolicy> policies = new HashMap<>(QuotaSettings.defaultPolicies());
    policies.put(Priority.BULK, OverflowPolicy.parse("downsample:60"));
    LogSettings settings = new LogSettings(65_536, 64L * 1024 * 1024, 4096)
        .withQuota(new QuotaSettings(QUOTA, 0.95, 0.90, policies));
    EventLog log = EventLog.open(dir.resolve("db"), settings, vertx, registry);

    // WHEN 20,000 readings of 4 sensors (~4.5 MiB of envelopes, twice the quota) are appended
    await(vertx.deployVerticle((Context ctx) -> {
      List<Future<Long>> all = new ArrayList<>();
      for (int i = 0; i < READINGS; i++) {
        all.add(log.append(reading(i)));
      }
      return Future.all(all);
    }), 60);

    // THEN the quota holds, and the bulk class starts with summaries followed by raw readings
    assertTrue(log.usedBytes() <= QUOTA, "used " + log.usedBytes());
    List<Event> bulk = LogContents.of(log, Priority.BULK);
    List<Event> summaries = bulk.stream().filter(e -> payload(e).containsKey("summary")).toList();
    List<Event> raw = bulk.stream().filter(e -> !payload(e).containsKey("summary")).toList();
    assertTrue(!summaries.isEmpty(), "no summary events");
    assertEquals(summaries, bulk.subList(0, summaries.size()), "summaries come first, then the newest raw readings");
    // gap-free from the first live class seq on
    for (int i = 1; i < bulk.size(); i++) {
      assertEquals(bulk.get(i - 1).classSeq() + 1, bulk.get(i).classSeq());
    }

    // AND per source, the summaries plus the raw readings account for every reading: count and sum exactly
    Map<String, Long> count = new HashMap<>();
    Map<String, Double> sum = new HashMap<>();
    for (Event s : summaries) {
      JsonObject p = payload(s);
      JsonObject v = p.getJsonObject("fields").getJsonObject("value");
      count.merge(s.source(), p.getJsonObject("summary").getLong("count"), Long::sum);
      sum.merge(s.source(), v.getDouble("sum"), Double::sum);
      assertEquals(p.getJsonObject("summary").getLong("count"), v.getLong("count"));
      assertTrue(v.getDouble("min") >= 0 && v.getDouble("max") <= 99.5 && v.getDouble("min") <= v.getDouble("avg")
          && v.getDouble("avg") <= v.getDouble("max"), v.encode());
      long window = p.getJsonObject("summary").getLong("windowStart");
      assertEquals(0, (window - T0) % 60_000, "windows are whole minutes");
      assertTrue(s.eventTimeMs() >= window && s.eventTimeMs() < window + 60_000);
    }
    for (Event e : raw) {
      count.merge(e.source(), 1L, Long::sum);
      sum.merge(e.source(), payload(e).getDouble("value"), Double::sum);
    }
    for (int src = 0; src < SOURCES; src++) {
      double expected = 0;
      for (int i = src; i < READINGS; i += SOURCES) {
        expected += value(i);
      }
      assertEquals(READINGS / SOURCES, count.get("sensor-" + src), "readings of sensor-" + src);
      assertEquals(expected, sum.get("sensor-" + src), 1e-6, "sum of sensor-" + src);
    }
    // one summary per source and minute at most: 200 s of data = 4 minute windows
    assertTrue(summaries.size() <= SOURCES * 4, summaries.size() + " summaries");

    // AND every compaction has a critical loss-ledger event; the counter agrees; nothing was evicted
    List<Event> ledger = LogContents.of(log, Priority.CRITICAL).stream()
        .filter(e -> e.source().equals("edge:ledger")).toList();
    assertTrue(!ledger.isEmpty());
    long compacted = 0;
    for (Event e : ledger) {
      JsonObject entry = payload(e);
      assertEquals("downsample", entry.getString("reason"));
      assertEquals("bulk", entry.getString("class"));
      assertTrue(entry.getInteger("summaries") >= 1);
      compacted += entry.getLong("count");
    }
    assertEquals((double) compacted,
        registry.get("edge.log.downsampled.events").tag("class", "bulk").counter().count());
    assertEquals(0, log.evictedEvents(Priority.BULK));
    log.close();
  }

  private static JsonObject payload(Event e) {
    return new JsonObject(new String(e.payload(), StandardCharsets.UTF_8));
  }
}
