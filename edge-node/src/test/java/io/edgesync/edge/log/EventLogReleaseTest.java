package io.edgesync.edge.log;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.LiveFileMetaData;

/**
 * Releasing a backlog while new events arrive (a catch-up after an outage) must not make RocksDB
 * rewrite the backlog that is still to be sent, and must free the disk of what was released.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLogReleaseTest {
  private static final Priority NORMAL = Priority.NORMAL;
  /** 256 MiB quota: 8 MiB log files. */
  private static final LogSettings SETTINGS = new LogSettings(65_536, 64L * 1024 * 1024, 4096)
      .withQuota(new QuotaSettings(256L * 1024 * 1024, 0.95, 0.90, QuotaSettings.defaultPolicies()));
  private static final int BACKLOG = 120_000;
  private static final int STEPS = 30;
  private static final int RELEASE_STEP = 2_000;
  private static final int NEW_PER_STEP = 1_000;
  /** 128 MiB quota: 4 MiB log files, file drops every 4 MiB of released events. */
  private static final LogSettings STEADY = new LogSettings(65_536, 64L * 1024 * 1024, 4096)
      .withQuota(new QuotaSettings(128L * 1024 * 1024, 0.95, 0.90, QuotaSettings.defaultPolicies()));
  private static final int STEP = 2_000;
  private static final int LAG = 500;

  @TempDir
  Path dir;

  @Test
  void aCatchUpDropsTheReleasedFilesAndLeavesTheBacklogFilesAlone(Vertx vertx) {
    // GIVEN a backlog of 120,000 events (~50 MB) compacted into 8 MiB files, as after an outage
    EventLog log = EventLog.open(dir.resolve("db"), SETTINGS, vertx, new SimpleMeterRegistry());
    for (int i = 0; i < BACKLOG; i += 10_000) {
      append(vertx, log, i, 10_000); // within log.queueCapacity
    }
    log.compactColumnFamily("log");
    List<LiveFileMetaData> before = log.columnFamilyFiles("log");
    long finalRelease = (long) STEPS * RELEASE_STEP;
    // the files holding only events the catch-up below does not reach
    Set<String> backlogFiles = before.stream().filter(f -> classSeq(f.smallestKey()) > finalRelease)
        .map(LiveFileMetaData::fileName).collect(Collectors.toSet());
    assertTrue(before.size() >= 5 && backlogFiles.size() >= 2, "files " + describe(before));

    // WHEN the forwarder releases 2,000 at a time while 1,000 new events arrive per step, each
    // step flushed to an L0 file (L0 compactions run every few steps)
    for (int step = 1; step <= STEPS; step++) {
      log.release(NORMAL, (long) step * RELEASE_STEP);
      append(vertx, log, BACKLOG + (step - 1) * NEW_PER_STEP, NEW_PER_STEP);
      log.flushColumnFamily("log");
    }
    awaitNoCompaction(log);

    // THEN no compaction rewrote the backlog still to be sent: its files are the same files
    List<LiveFileMetaData> after = log.columnFamilyFiles("log");
    Set<String> names = after.stream().map(LiveFileMetaData::fileName).collect(Collectors.toSet());
    assertTrue(names.containsAll(backlogFiles), "backlog files " + backlogFiles + " rewritten: now " + describe(after));
    // AND of the 3+ files that held released events (~25 MB), at most 2 are left (one file's worth
    // of releases waits for the next drop; one file straddles the position), without a rewrite
    long releasedFilesBefore = before.stream().filter(f -> classSeq(f.smallestKey()) <= finalRelease).count();
    long releasedFilesAfter = after.stream().filter(f -> classSeq(f.smallestKey()) <= finalRelease).count();
    assertTrue(releasedFilesBefore >= 3 && releasedFilesAfter <= 2, "files holding released events: before "
        + describe(before) + "; after " + describe(after));
    // AND a read never returns a released event, even one still on disk
    assertEquals(finalRelease + 1, firstClassSeq(log.read(NORMAL, 1, 10, 1 << 20)));

    // WHEN the node restarts and the backlog drains
    log.close();
    log = EventLog.open(dir.resolve("db"), SETTINGS, vertx, new SimpleMeterRegistry());
    assertEquals(finalRelease + 1, firstClassSeq(log.read(NORMAL, 1, 10, 1 << 20)));
    long last = log.lastClassSeq(NORMAL);
    assertEquals(BACKLOG + STEPS * NEW_PER_STEP, last);
    for (long r = finalRelease + 20_000; r < last; r += 20_000) {
      log.release(NORMAL, r);
    }
    log.release(NORMAL, last);

    // THEN a range delete covers every released event: a compaction leaves no event on disk
    assertEquals(List.of(), log.read(NORMAL, 1, 10, 1 << 20));
    assertNothingLeftAfterACompaction(log);
    log.close();
  }

  @Test
  void atSteadyStateFlushedFilesReachTheBottomWithoutARewriteAndReleasedOnesAreDropped(Vertx vertx) {
    // GIVEN a node whose forwarder runs a few batches behind ingest (4 MiB log files)
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), STEADY, vertx, registry);
    long fileBytes = EventLog.logFileBytes(STEADY.quota().quotaBytes());

    // WHEN 60 steps append 2,000 events each, release all but the last 500 and flush (an L0
    // file per step; L0 compactions run every 4 steps)
    Set<String> flushed = steadyState(vertx, log, 60);
    awaitNoCompaction(log);

    // THEN no range delete was written and no compaction rewrote a file: every file is one a
    // flush wrote, moved down as it was
    assertEquals(0, log.deletedThrough(NORMAL));
    List<LiveFileMetaData> after = log.columnFamilyFiles("log");
    Set<String> names = after.stream().map(LiveFileMetaData::fileName).collect(Collectors.toSet());
    assertTrue(flushed.containsAll(names), "rewritten: " + describe(after));
    // AND the files of released events were dropped: of ~40 MB appended, what is left released
    // is at most a file's worth waiting for the next drop, the L0 files and one straddling file
    long released = 60L * STEP - LAG;
    long maxFile = after.stream().mapToLong(LiveFileMetaData::size).max().orElse(0);
    long releasedBytes = after.stream().filter(f -> classSeq(f.largestKey()) <= released)
        .mapToLong(LiveFileMetaData::size).sum();
    assertTrue(releasedBytes <= fileBytes + 5 * maxFile, releasedBytes + " bytes of released files: " + describe(after));
    // (DeleteFilesInRange leaves L0 alone: the files dropped were moved down first)
    assertTrue(flushed.size() - after.size() >= 40, flushed.size() + " files flushed, left " + describe(after));
    assertEquals(released + 1, firstClassSeq(log.read(NORMAL, 1, 10, 1 << 20)));

    // WHEN the class drains
    log.release(NORMAL, log.lastClassSeq(NORMAL));

    // THEN a range delete covers it all (it rewrites nothing live): a compaction leaves no event
    assertEquals(60L * STEP, log.deletedThrough(NORMAL));
    assertEquals(1.0, rangeDeletes(registry, "drained"));
    assertEquals(0.0, rangeDeletes(registry, "bound"));
    assertNothingLeftAfterACompaction(log);
    log.close();
  }

  @Test
  void releasedEventsLeftOnDiskAboveTheBoundGetARangeDelete(Vertx vertx) {
    // GIVEN the same steady state, with a bound of released bytes left on disk smaller than
    // the L0 files always hold
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), STEADY, vertx, registry);
    log.releasedOnDiskBound(64 * 1024);

    // WHEN the forwarder releases as before
    steadyState(vertx, log, 30);

    // THEN the releases after a file drop wrote range deletes, each through its released position
    long deleted = log.deletedThrough(NORMAL);
    assertTrue(deleted > 0 && deleted <= 30L * STEP - LAG, "deleted through " + deleted);
    assertTrue(rangeDeletes(registry, "bound") >= 1, "counted");
    assertEquals(30L * STEP - LAG + 1, firstClassSeq(log.read(NORMAL, 1, 10, 1 << 20)));
    log.close();
  }

  /** {@code steps} × (append {@link #STEP} events, release all but the last {@link #LAG}, flush); the L0 files flushed. */
  private static Set<String> steadyState(Vertx vertx, EventLog log, int steps) {
    Set<String> flushed = new java.util.HashSet<>();
    for (int step = 1; step <= steps; step++) {
      append(vertx, log, (step - 1) * STEP, STEP);
      log.release(NORMAL, (long) step * STEP - LAG);
      log.flushColumnFamily("log");
      log.columnFamilyFiles("log").stream().filter(f -> f.level() == 0).forEach(f -> flushed.add(f.fileName()));
    }
    return flushed;
  }

  private static double rangeDeletes(SimpleMeterRegistry registry, String reason) {
    return registry.get("edge.log.release.range.deletes").tag("class", "normal").tag("reason", reason).counter().count();
  }

  private static void assertNothingLeftAfterACompaction(EventLog log) {
    log.compactColumnFamily("log");
    assertEquals(0, log.columnFamilyProperty("log", "rocksdb.estimate-num-keys"), describe(log.columnFamilyFiles("log")));
  }

  private static void awaitNoCompaction(EventLog log) {
    io.edgesync.edge.testsupport.Poll.until("no compaction pending or running", java.time.Duration.ofSeconds(60),
        () -> log.columnFamilyProperty("log", "rocksdb.compaction-pending") == 0
            && log.columnFamilyProperty("log", "rocksdb.num-running-compactions") == 0);
  }

  /** Appends events {@code from .. from + n - 1} of class normal (300 random bytes each) and waits for all. */
  private static void append(Vertx vertx, EventLog log, int from, int n) {
    Random random = new Random(from);
    byte[] pad = new byte[150];
    await(vertx.deployVerticle((Context ctx) -> {
      List<Future<Long>> all = new ArrayList<>(n);
      for (int i = from; i < from + n; i++) {
        random.nextBytes(pad);
        byte[] payload = ("{\"n\":" + i + ",\"pad\":\"" + HexFormat.of().formatHex(pad) + "\"}")
            .getBytes(StandardCharsets.UTF_8);
        all.add(log.append(EnvelopeCodec.encode(new Event(0, 0, NORMAL, "dev", "t/dev", null, i, i, payload))));
      }
      return Future.all(all);
    }), 60);
  }

  private static long firstClassSeq(List<byte[]> envelopes) {
    return EnvelopeCodec.decode(envelopes.get(0)).classSeq();
  }

  private static long classSeq(byte[] logKey) {
    return ByteBuffer.wrap(logKey).getLong(1);
  }

  private static String describe(List<LiveFileMetaData> files) {
    return files.stream().map(f -> f.fileName() + "@L" + f.level() + "[" + classSeq(f.smallestKey()) + ".."
        + classSeq(f.largestKey()) + "]").collect(Collectors.joining(" "));
  }
}
