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
 * A release counts the bytes it frees from what the forwarder's reads returned ({@link ReadSpans})
 * and reads only what no read covered; the quota's accounting stays exact either way, and after a
 * downsample rewrote events that had been read.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLogReleaseBytesTest {
  private static final long T0 = 1_763_769_600_000L;

  @TempDir
  Path dir;

  /** Reading i of 4 sensors, 10 ms apart, its pad 20..319 bytes long: envelopes of many sizes. */
  private static byte[] reading(int i) {
    String payload = "{\"value\":" + (i % 100) + ",\"pad\":\"" + "x".repeat(20 + (i * 7) % 300) + "\"}";
    String source = "sensor-" + (i % 4);
    return EnvelopeCodec.encode(new Event(0, 0, Priority.BULK, source, "telemetry/" + source, null, T0 + i * 10L,
        T0 + i * 10L, payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static void append(Vertx vertx, EventLog log, int from, int count) {
    await(vertx.deployVerticle((Context ctx) -> {
      List<Future<Long>> all = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        all.add(log.append(reading(i)));
      }
      return Future.all(all);
    }), 60);
  }

  /** Reads bulk events {@code from .. to} in reads of {@code per} events, as the forwarder does. */
  private static void readInBatches(EventLog log, long from, long to, int per) {
    for (long next = from; next <= to; next += per) {
      assertEquals(Math.min(per, to - next + 1), log.read(Priority.BULK, next, (int) Math.min(per, to - next + 1),
          Integer.MAX_VALUE).size());
    }
  }

  /** The live bulk bytes the log counts. */
  private static long countedBytes(SimpleMeterRegistry registry) {
    return (long) registry.get("edge.buffer.class.bytes").tag("class", "bulk").gauge().value();
  }

  private static double scans(SimpleMeterRegistry registry) {
    return registry.get("edge.log.release.scans").counter().count();
  }

  @Test
  void releasesOfWhatWasReadReadNothingAgainAndGapsAreReadExactly(Vertx vertx) {
    // GIVEN 3,000 bulk events of many sizes, of which the forwarder read 1..1500 in reads of 100
    // and 1701..3000 in reads of 250 (1501..1700 never read)
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), LogQuotaTest.settings(64L * 1024 * 1024), vertx, registry);
    append(vertx, log, 0, 3000);
    long[] size = new long[3001];
    for (Event e : LogContents.of(log, Priority.BULK)) {
      size[(int) e.classSeq()] = EnvelopeCodec.encode(e).length;
    }
    long total = java.util.Arrays.stream(size).sum();
    assertEquals(total, log.usedBytes());
    readInBatches(log, 1, 1500, 100);
    readInBatches(log, 1701, 3000, 250);

    // WHEN the cloud acknowledges the first 1,500 batch by batch
    // THEN each release counts exactly what it frees, reading nothing again
    long left = total;
    for (int released = 100; released <= 1500; released += 100) {
      log.release(Priority.BULK, released);
      for (int s = released - 99; s <= released; s++) {
        left -= size[s];
      }
      assertEquals(left, log.usedBytes(), "after the release through " + released);
    }
    assertEquals(0, scans(registry));

    // WHEN a release spans the unread stretch and ends inside a read (1701..1950)
    log.release(Priority.BULK, 1800);

    // THEN it reads both stretches (1501..1700, 1701..1800) and counts exactly
    for (int s = 1501; s <= 1800; s++) {
      left -= size[s];
    }
    assertEquals(left, log.usedBytes());
    assertEquals(2, scans(registry));

    // WHEN the rest is released: 1801..1950 is read again, the later reads tile up to 3,000
    log.release(Priority.BULK, 3000);
    assertEquals(0, log.usedBytes());
    assertEquals(3, scans(registry));
    assertTrue(total > 3000 * 100, "envelopes of " + total + " bytes");
    log.close();
  }

  @Test
  void aDownsampleOfEventsThatWereReadLeavesTheAccountingExact(Vertx vertx) {
    // GIVEN bulk = downsample:60 at a 2 MiB quota, 6,000 readings (~1.5 MiB), all read two by two
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Map<Priority, OverflowPolicy> policies = new HashMap<>(QuotaSettings.defaultPolicies());
    policies.put(Priority.BULK, OverflowPolicy.parse("downsample:60"));
    LogSettings settings = new LogSettings(65_536, 64L * 1024 * 1024, 4096)
        .withQuota(new QuotaSettings(2L * 1024 * 1024, 0.95, 0.90, policies));
    EventLog log = EventLog.open(dir.resolve("db"), settings, vertx, registry);
    append(vertx, log, 0, 6000);
    assertEquals(0, registry.get("edge.log.downsampled.events").tag("class", "bulk").counter().count());
    readInBatches(log, 1, 6000, 2);

    // WHEN 6,000 more reach the quota: the oldest readings, read before, become summaries
    append(vertx, log, 6000, 6000);
    assertTrue(registry.get("edge.log.downsampled.events").tag("class", "bulk").counter().count() > 0);

    // THEN releasing through the summaries and beyond counts their bytes, not the readings' they replaced
    long first = log.firstClassSeq(Priority.BULK);
    log.release(Priority.BULK, first + 1000);
    assertEquals(LogContents.envelopeBytes(LogContents.of(log, Priority.BULK)), countedBytes(registry));
    log.release(Priority.BULK, log.lastClassSeq(Priority.BULK));
    assertEquals(0, countedBytes(registry));
    log.close();
  }
}
