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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The disk quota with no forwarder: bulk evicts its oldest (loss ledger), critical is never evicted. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LogQuotaTest {
  private static final long QUOTA = 2L * 1024 * 1024;
  private static final int BULK = 20_000;
  private static final int CRITICAL = 500;

  @TempDir
  Path dir;

  static LogSettings settings(long quota) {
    return new LogSettings(65_536, 64L * 1024 * 1024, 4096)
        .withQuota(new QuotaSettings(quota, 0.95, 0.90, QuotaSettings.defaultPolicies()));
  }

  static byte[] envelope(Priority p, int i) {
    String payload = "{\"n\":" + i + ",\"pad\":\"" + "x".repeat(150) + "\"}";
    return EnvelopeCodec.encode(new Event(0, 0, p, "dev-" + p.label(), (p == Priority.CRITICAL ? "alarms/" : "logs/")
        + i, null, i, i, payload.getBytes(StandardCharsets.UTF_8)));
  }

  /** 20,000 bulk with a critical after every 40th, appended from one event loop; waits for all. */
  static void appendMix(Vertx vertx, EventLog log) {
    await(vertx.deployVerticle((Context ctx) -> {
      List<Future<Long>> all = new ArrayList<>();
      int critical = 0;
      for (int i = 0; i < BULK; i++) {
        all.add(log.append(envelope(Priority.BULK, i)));
        if (i % 40 == 39 && critical < CRITICAL) {
          all.add(log.append(envelope(Priority.CRITICAL, critical++)));
        }
      }
      return Future.all(all);
    }), 60);
  }

  @Test
  void atTheQuotaBulkIsEvictedOldestFirstWithALedgerAndCriticalIsNeverEvicted(Vertx vertx) {
    // GIVEN a log with a 2 MiB quota, bulk = drop-oldest, critical = backpressure, and no forwarder
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), settings(QUOTA), vertx, registry);

    // WHEN 20,000 bulk (~4.5 MiB of envelopes, twice the quota) and 500 critical events are appended
    appendMix(vertx, log);

    // THEN every append completed (none held: bulk made room) and the quota holds
    assertTrue(log.usedBytes() <= QUOTA, "used " + log.usedBytes());
    assertTrue(log.usedBytes() > QUOTA * 0.8, "used " + log.usedBytes());

    // AND no critical event was evicted: all 500 are there, plus one ledger event per eviction
    List<Event> critical = LogContents.of(log, Priority.CRITICAL);
    List<Event> ledger = critical.stream().filter(e -> e.source().equals("edge:ledger")).toList();
    List<Event> alarms = critical.stream().filter(e -> !e.source().equals("edge:ledger")).toList();
    assertEquals(CRITICAL, alarms.size());
    assertEquals(CRITICAL, alarms.stream().map(e -> e.topic()).distinct().count());
    assertTrue(ledger.size() >= 2, "ledger events: " + ledger.size());

    // AND evicted count == counter == sum of the ledger counts, and the ranges tile 1..evicted
    long evicted = log.evictedEvents(Priority.BULK);
    double counter = registry.get("edge.log.evicted.events").tag("class", "bulk").tag("reason", "quota")
        .functionCounter().count();
    long ledgerSum = 0;
    long expectedFrom = 1;
    for (Event e : ledger) {
      JsonObject entry = new JsonObject(new String(e.payload(), StandardCharsets.UTF_8));
      assertEquals("bulk", entry.getString("class"));
      assertEquals("quota", entry.getString("reason"));
      assertEquals("$edge/ledger", e.topic());
      assertEquals(Priority.CRITICAL, e.priority());
      assertEquals(expectedFrom, entry.getLong("fromClassSeq"));
      long count = entry.getLong("toClassSeq") - entry.getLong("fromClassSeq") + 1;
      assertEquals(count, entry.getLong("count"));
      long bytes = 0;
      for (long k = entry.getLong("fromClassSeq"); k <= entry.getLong("toClassSeq"); k++) {
        bytes += envelope(Priority.BULK, (int) k - 1).length; // bulk classSeq k is the (k-1)th bulk append
      }
      assertEquals(bytes, entry.getLong("bytes"));
      ledgerSum += count;
      expectedFrom = entry.getLong("toClassSeq") + 1;
    }
    assertTrue(evicted > BULK / 3, "evicted " + evicted);
    assertEquals(evicted, (long) counter);
    assertEquals(evicted, ledgerSum);
    assertEquals(0, log.evictedEvents(Priority.CRITICAL));
    assertEquals(0.0, registry.get("edge.log.evicted.events").tag("class", "critical").functionCounter().count());

    // AND what is left of bulk is exactly the newest BULK - evicted, gap-free
    List<Event> bulk = LogContents.of(log, Priority.BULK);
    assertEquals(BULK - evicted, bulk.size());
    assertEquals(evicted + 1, bulk.get(0).classSeq());
    assertEquals(BULK, bulk.get(bulk.size() - 1).classSeq());
    assertEquals(evicted + 1, log.firstClassSeq(Priority.BULK));
    assertEquals(BULK - evicted, log.backlog(Priority.BULK));

    // AND used bytes are exactly the live envelopes
    long live = LogContents.envelopeBytes(LogContents.all(log));
    assertEquals(live, log.usedBytes());

    // AND /status shows it: the last 20 ledger entries, totals
    JsonObject status = log.bufferStatus();
    assertEquals(QUOTA, status.getLong("quotaBytes"));
    assertEquals(live, status.getLong("usedBytes"));
    assertEquals(evicted, status.getJsonObject("evicted").getLong("events"));
    JsonArray entries = status.getJsonArray("ledger");
    assertEquals(Math.min(20, ledger.size()), entries.size());
    assertEquals(BULK - evicted, status.getJsonObject("classes").getJsonObject("bulk").getLong("backlogEvents"));
    assertEquals("drop-oldest", status.getJsonObject("classes").getJsonObject("bulk").getString("overflow"));

    // WHEN the log is reopened
    log.close();
    EventLog reopened = EventLog.open(dir.resolve("db"), settings(QUOTA), vertx, new SimpleMeterRegistry());

    // THEN the accounting is the same (persisted with each change)
    assertEquals(live, reopened.usedBytes());
    assertEquals(evicted, reopened.evictedEvents(Priority.BULK));
    assertEquals(evicted + 1, reopened.firstClassSeq(Priority.BULK));

    // WHEN the cloud commits bulk beyond the evicted range (a SKIP batch) and critical
    reopened.release(Priority.BULK, BULK);
    reopened.release(Priority.CRITICAL, reopened.lastClassSeq(Priority.CRITICAL));

    // THEN the log is empty and its used bytes are 0
    assertEquals(0, reopened.usedBytes());
    assertEquals(0, LogContents.all(reopened).size());
    reopened.close();
  }

  @Test
  void withBackpressureOnEveryClassAppendsWaitAtTheQuotaAndAllLandAfterARelease(Vertx vertx) {
    // GIVEN a 1 MiB quota where bulk is backpressure too
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LogSettings s = new LogSettings(65_536, 64L * 1024 * 1024, 4096).withQuota(new QuotaSettings(1024 * 1024, 0.95,
        0.90, java.util.Map.of(Priority.BULK, OverflowPolicy.BACKPRESSURE)));
    EventLog log = EventLog.open(dir.resolve("db"), s, vertx, registry);
    int n = 8000; // ~1.9 MiB of envelopes

    // WHEN 8,000 bulk events are appended
    List<Future<Long>> futures = new ArrayList<>();
    await(vertx.deployVerticle((Context ctx) -> {
      for (int i = 0; i < n; i++) {
        futures.add(log.append(envelope(Priority.BULK, i)));
      }
      return Future.succeededFuture();
    }), 20);

    // THEN the log stops at the quota, holds the rest (futures open), and reports full pressure
    io.edgesync.edge.testsupport.Poll.until("the log at its quota", java.time.Duration.ofSeconds(20),
        () -> log.atQuota() && log.heldAppends() > 0);
    assertEquals(1.0, log.queuePressure());
    long stored = log.lastClassSeq(Priority.BULK);
    assertTrue(stored < n && log.usedBytes() <= 1024 * 1024, "stored " + stored + " used " + log.usedBytes());
    long failed = futures.stream().filter(Future::failed).count();
    assertEquals(0, failed, () -> "failed appends, e.g. " + futures.stream().filter(Future::failed).findFirst()
        .map(f -> f.cause().toString()).orElse(""));
    long completed = futures.stream().filter(Future::isComplete).count();
    assertTrue(completed <= log.lastClassSeq(Priority.BULK), "completed " + completed);
    assertTrue(log.lastClassSeq(Priority.BULK) < n);
    assertEquals(0, log.evictedEvents(Priority.BULK));

    // WHEN the cloud commits what was read (as the forwarder does: held appends land meanwhile), repeatedly
    Set<Long> seen = new HashSet<>();
    io.edgesync.edge.testsupport.Poll.until("all appended", java.time.Duration.ofSeconds(30), () -> {
      long read = 0;
      for (Event e : LogContents.of(log, Priority.BULK)) {
        seen.add(e.classSeq());
        read = e.classSeq();
      }
      if (read > 0) {
        log.release(Priority.BULK, read);
      }
      return futures.stream().allMatch(Future::succeeded) && seen.size() == n;
    });

    // THEN every event was stored once, in order, nothing evicted, and appends flow again
    assertEquals(n, log.lastClassSeq(Priority.BULK));
    List<Long> seqs = futures.stream().map(Future::result).toList();
    for (int i = 1; i < seqs.size(); i++) {
      assertEquals(seqs.get(i - 1) + 1, seqs.get(i));
    }
    log.release(Priority.BULK, n);
    io.edgesync.edge.testsupport.Poll.until("unblocked", java.time.Duration.ofSeconds(10), () -> !log.atQuota());
    assertEquals(0, log.usedBytes());
    log.close();
  }
}
