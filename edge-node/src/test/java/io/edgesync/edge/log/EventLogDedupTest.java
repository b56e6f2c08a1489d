package io.edgesync.edge.log;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.dedup.DedupSettings;
import io.edgesync.edge.dedup.DedupStats;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.MutableClock;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Application-level dedup in the log: (source, id) and MQTT packet-id keys, window, crash safety. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLogDedupTest {
  private static final long T0 = 1_763_760_000_000L;
  private static final LogSettings BASE = new LogSettings(65_536, 64L * 1024 * 1024, 4096);

  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MutableClock clock = new MutableClock(T0);

  private static LogSettings window(Duration w) {
    return BASE.withDedup(new DedupSettings(true, w, 10_000));
  }

  private EventLog open(Path db, LogSettings settings, Vertx vertx) {
    return EventLog.open(db, settings, vertx, registry, clock);
  }

  static byte[] envelope(String source, String id, int i) {
    return EnvelopeCodec.encode(new Event(0, 0, Priority.fromCode(i % 3), source, "t/" + source, id, i, i,
        ("{\"id\":\"" + id + "\",\"v\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
  }

  static AppendResult appendId(EventLog log, String source, String id, int i) {
    return await(log.append(envelope(source, id, i), DedupKey.explicitId(source, id)), 20);
  }

  private double hits(String kind) {
    return registry.get("edge.dedup.hits").tag("kind", kind).counter().count();
  }

  private double lookups(String result) {
    return registry.get("edge.dedup.lookups").tag("result", result).counter().count();
  }

  private static int dedupKeysOnDisk(EventLog log) {
    AtomicInteger n = new AtomicInteger();
    log.store("dedup").forEach(null, (k, v) -> n.incrementAndGet() > 0);
    return n.get();
  }

  @Test
  void theSameSourceAndIdAppendedTwiceIsOneEvent(Vertx vertx) {
    // GIVEN a log with dedup on
    EventLog log = open(dir.resolve("db"), BASE, vertx);

    // WHEN dev-1 appends m-1 twice
    AppendResult first = appendId(log, "dev-1", "m-1", 0);
    AppendResult second = appendId(log, "dev-1", "m-1", 1);

    // THEN the second is a duplicate of the first, stored once, counted
    assertEquals(new AppendResult(1, false), first);
    assertEquals(new AppendResult(1, true), second);
    assertEquals(1, LogContents.all(log).size());
    assertEquals(2, log.nextSeq());
    assertEquals(1.0, hits("id"));
    assertEquals(1.0, lookups("confirmed_duplicate"));
    assertEquals(1.0, lookups("bloom_negative"));
    assertEquals(1.0, registry.get("edge.log.appends").counter().count());
    assertEquals(1, dedupKeysOnDisk(log));
    DedupStats stats = log.dedupStats();
    assertEquals(1, stats.buckets());
    assertEquals(1, stats.keys());
    assertEquals(1, stats.idHits());
    assertTrue(stats.bloomBytes() > 0);
    assertEquals((double) stats.bloomBytes(), registry.get("edge.dedup.bloom.bytes").gauge().value());
    // AND an append without a key is never deduplicated
    assertEquals(2L, await(log.append(envelope("dev-1", "m-1", 2)), 20));
    assertEquals(new AppendResult(3, false), await(log.append(envelope("dev-1", "m-1", 3), null), 20));
    log.close();
  }

  @Test
  void theSameIdFromDifferentSourcesIsTwoEvents(Vertx vertx) {
    EventLog log = open(dir.resolve("db"), BASE, vertx);

    assertEquals(new AppendResult(1, false), appendId(log, "dev-1", "m-1", 0));
    assertEquals(new AppendResult(2, false), appendId(log, "dev-2", "m-1", 1));
    // a source that is a prefix of another with an id that would make the bytes equal without the separator
    assertEquals(new AppendResult(3, false), appendId(log, "dev-", "1m-1", 2));

    assertEquals(3, LogContents.all(log).size());
    assertEquals(0.0, hits("id"));
    log.close();
  }

  @Test
  void anIdIsAnEventAgainOnceTheWindowHasPassed(Vertx vertx) {
    // GIVEN a 10 s window (1 s buckets) and m-1 stored at T0
    EventLog log = open(dir.resolve("db"), window(Duration.ofSeconds(10)), vertx);
    assertFalse(appendId(log, "dev-1", "m-1", 0).duplicate());

    // WHEN it comes again 10 s later THEN it is still a duplicate (within the window)
    clock.advance(Duration.ofSeconds(10));
    assertEquals(new AppendResult(1, true), appendId(log, "dev-1", "m-1", 1));

    // WHEN it comes again once the window and the bucket width have passed
    clock.advance(Duration.ofMillis(1_001));
    AppendResult late = appendId(log, "dev-1", "m-1", 2);

    // THEN it is a new event, and the expired bucket was dropped from RocksDB and memory
    assertEquals(new AppendResult(2, false), late);
    assertEquals(2, LogContents.all(log).size());
    assertEquals(1, log.dedupStats().buckets());
    assertEquals(1, log.dedupStats().keys());
    assertEquals(1, dedupKeysOnDisk(log));

    // AND when the writer is idle an expired bucket is dropped too (no append needed)
    clock.advance(Duration.ofSeconds(12));
    io.edgesync.edge.testsupport.Poll.until("the idle writer drops the last bucket", Duration.ofSeconds(10),
        () -> log.dedupStats().buckets() == 0);
    assertEquals(0, dedupKeysOnDisk(log));
    assertEquals(0.0, registry.get("edge.dedup.bloom.bytes").gauge().value());
    log.close();
  }

  @Test
  void duplicatesInsideOneGroupCommitAreStoredOnce(Vertx vertx) throws Exception {
    // GIVEN a writer held inside its first durable listener call, so the next appends queue up
    EventLog log = open(dir.resolve("db"), BASE, vertx);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    log.onDurable(() -> {
      if (first.compareAndSet(true, false)) {
        held.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    Future<AppendResult> warmUp = log.append(envelope("dev-0", "w", 0), DedupKey.explicitId("dev-0", "w"));
    assertTrue(held.await(20, TimeUnit.SECONDS));

    // WHEN the same (source, id) is appended three times and another id once, then the writer goes on
    List<Future<AppendResult>> group = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      group.add(log.append(envelope("dev-1", "m-1", i), DedupKey.explicitId("dev-1", "m-1")));
    }
    group.add(log.append(envelope("dev-1", "m-2", 3), DedupKey.explicitId("dev-1", "m-2")));
    assertEquals(4, log.queueDepth());
    release.countDown();

    // THEN they were one group commit of 4 appends that stored 2 events
    assertEquals(new AppendResult(1, false), await(warmUp, 20));
    assertEquals(new AppendResult(2, false), await(group.get(0), 20));
    assertEquals(new AppendResult(2, true), await(group.get(1), 20));
    assertEquals(new AppendResult(2, true), await(group.get(2), 20));
    assertEquals(new AppendResult(3, false), await(group.get(3), 20));
    assertEquals(2, registry.get("edge.log.group.size").summary().count());
    assertEquals(4.0, registry.get("edge.log.group.size").summary().max());
    assertEquals(3, LogContents.all(log).size());
    assertEquals(2.0, hits("id"));
    assertEquals(3, dedupKeysOnDisk(log));
    log.close();
  }

  @Test
  void afterACrashEveryStoredIdIsStillADuplicate(Vertx vertx) throws IOException {
    // GIVEN 1,000 events with ids from 3 sources, durable
    EventLog log = open(dir.resolve("db"), BASE, vertx);
    List<Future<AppendResult>> all = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String src = "dev-" + (i % 3);
      all.add(log.append(envelope(src, "m-" + i, i), DedupKey.explicitId(src, "m-" + i)));
    }
    await(Future.all(all), 30);

    // WHEN the process "dies": the database folder is copied as it is while the log is still
    // open (memtables never flushed, WAL only, LOCK not held), then opened from the copy
    Path crashed = dir.resolve("crashed");
    copyTree(dir.resolve("db"), crashed);
    log.close();
    SimpleMeterRegistry registry2 = new SimpleMeterRegistry();
    EventLog reopened = EventLog.open(crashed, BASE, vertx, registry2, clock);

    // THEN the Bloom filters were rebuilt from the 1,000 keys
    assertEquals(1000, reopened.dedupStats().keys());
    assertEquals(1001, reopened.nextSeq());

    // AND re-appending every id stores nothing new, each pointing at its original seq
    List<Future<AppendResult>> again = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      String src = "dev-" + (i % 3);
      again.add(reopened.append(envelope(src, "m-" + i, i), DedupKey.explicitId(src, "m-" + i)));
    }
    await(Future.all(again), 30);
    for (int i = 0; i < 1000; i++) {
      assertEquals(new AppendResult(all.get(i).result().seq(), true), again.get(i).result());
    }
    assertEquals(1000, LogContents.all(reopened).size());
    assertEquals(1001, reopened.nextSeq());
    assertEquals(1000.0, registry2.get("edge.dedup.hits").tag("kind", "id").counter().count());
    assertEquals(0.0, registry2.get("edge.dedup.lookups").tag("result", "bloom_negative").counter().count());

    // AND a new id right after is stored with the next seq
    assertEquals(new AppendResult(1001, false), await(reopened.append(envelope("dev-0", "new", 1),
        DedupKey.explicitId("dev-0", "new")), 20));
    reopened.close();
  }

  @Test
  void aCleanReopenRebuildsTheFiltersAndDropsExpiredBuckets(Vertx vertx) {
    // GIVEN a 10 s window, 3 keys at T0 and 2 keys 5 s later
    Path db = dir.resolve("db");
    LogSettings settings = window(Duration.ofSeconds(10));
    EventLog log = open(db, settings, vertx);
    for (int i = 0; i < 3; i++) {
      appendId(log, "dev-1", "a-" + i, i);
    }
    clock.advance(Duration.ofSeconds(5));
    for (int i = 0; i < 2; i++) {
      appendId(log, "dev-1", "b-" + i, i);
    }
    log.close();

    // WHEN reopened 7 s later (the T0 bucket has expired, the other has not)
    clock.advance(Duration.ofSeconds(7));
    EventLog reopened = open(db, settings, vertx);

    // THEN only the live bucket was rebuilt, the expired one deleted
    assertEquals(1, reopened.dedupStats().buckets());
    assertEquals(2, reopened.dedupStats().keys());
    assertEquals(2, dedupKeysOnDisk(reopened));
    // AND a duplicate of the live bucket right after the reopen is caught; an expired one is new
    assertEquals(new AppendResult(4, true), appendId(reopened, "dev-1", "b-0", 9));
    assertEquals(new AppendResult(6, false), appendId(reopened, "dev-1", "a-0", 9));
    assertEquals(6, LogContents.all(reopened).size());
    reopened.close();
  }

  @Test
  void twentyThousandRandomAppendsStoreEachDistinctSourceAndIdOnceGapFree(Vertx vertx) {
    // saturated filters (200 keys per bucket for ~14,000 keys) must change nothing but the lookup count
    for (int maxKeysPerBucket : new int[] {DedupSettings.DEFAULT_MAX_KEYS_PER_BUCKET, 200}) {
      SimpleMeterRegistry reg = new SimpleMeterRegistry();
      EventLog log = EventLog.open(dir.resolve("db-" + maxKeysPerBucket),
          BASE.withDedup(new DedupSettings(true, Duration.ofMinutes(10), maxKeysPerBucket)), vertx, reg, clock);

      // GIVEN 20,000 appends over 3 sources, 30 % of them repeating an earlier (source, id)
      Random rnd = new Random(42);
      List<String[]> keys = new ArrayList<>();
      List<String[]> appends = new ArrayList<>();
      int fresh = 0;
      for (int i = 0; i < 20_000; i++) {
        if (!keys.isEmpty() && rnd.nextDouble() < 0.3) {
          appends.add(keys.get(rnd.nextInt(keys.size())));
        } else {
          // a new (source, id); ids are shared between sources on purpose: (source, id) is the key
          String[] k = {"dev-" + (fresh % 3), "m-" + (fresh / 2)};
          fresh++;
          keys.add(k);
          appends.add(k);
        }
      }
      Set<String> distinct = new HashSet<>();
      appends.forEach(k -> distinct.add(k[0] + "/" + k[1]));
      assertEquals(fresh, distinct.size());

      // WHEN they are appended from two event loops, each its half, interleaved in the queue
      List<Future<AppendResult>> results = Collections.synchronizedList(new ArrayList<>(
          Collections.nCopies(appends.size(), null)));
      Future<?> a = appendHalf(vertx, log, appends, 0, results);
      Future<?> b = appendHalf(vertx, log, appends, 1, results);
      await(Future.all(a, b), 60);
      for (Future<AppendResult> f : results) {
        await(f, 30);
      }

      // THEN the log holds each distinct (source, id) once, seqs 1..n gap-free
      List<Event> events = LogContents.all(log);
      assertEquals(distinct.size(), events.size(), "maxKeysPerBucket " + maxKeysPerBucket);
      Map<String, Long> seqOf = new HashMap<>();
      for (Event e : events) {
        assertEquals(null, seqOf.put(e.source() + "/" + e.explicitId(), e.seq()), "stored twice: " + e);
      }
      List<Long> seqs = events.stream().map(Event::seq).sorted().toList();
      for (int i = 0; i < seqs.size(); i++) {
        assertEquals(i + 1, seqs.get(i));
      }
      assertEquals(distinct.size() + 1, log.nextSeq());
      // AND every duplicate names the seq of the stored original
      int dups = 0;
      for (int i = 0; i < appends.size(); i++) {
        AppendResult r = results.get(i).result();
        String k = appends.get(i)[0] + "/" + appends.get(i)[1];
        assertEquals(seqOf.get(k), r.seq(), k);
        dups += r.duplicate() ? 1 : 0;
      }
      assertEquals(appends.size() - distinct.size(), dups);
      assertEquals(dups, reg.get("edge.dedup.hits").tag("kind", "id").counter().count());
      System.out.printf("EventLogDedupTest: 20000 appends, %d distinct, %d duplicates, maxKeysPerBucket %d: "
              + "bloom_negative %.0f, confirmed_new %.0f, confirmed_duplicate %.0f%n", distinct.size(), dups,
          maxKeysPerBucket, reg.get("edge.dedup.lookups").tag("result", "bloom_negative").counter().count(),
          reg.get("edge.dedup.lookups").tag("result", "confirmed_new").counter().count(),
          reg.get("edge.dedup.lookups").tag("result", "confirmed_duplicate").counter().count());
      log.close();
    }
  }

  private static Future<?> appendHalf(Vertx vertx, EventLog log, List<String[]> appends, int half,
      List<Future<AppendResult>> results) {
    return vertx.deployVerticle((Context ctx) -> {
      for (int i = half; i < appends.size(); i += 2) {
        String[] k = appends.get(i);
        results.set(i, log.append(envelope(k[0], k[1], i), DedupKey.explicitId(k[0], k[1])));
      }
      return Future.succeededFuture();
    });
  }

  @Test
  void packetIdKeysCatchOnlyADupRedeliveryOfTheSamePayload(Vertx vertx) {
    EventLog log = open(dir.resolve("db"), BASE, vertx);
    byte[] p1 = "{\"v\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] p2 = "{\"v\":2}".getBytes(StandardCharsets.UTF_8);

    // GIVEN packet 7 of dev-1 stored (DUP=0)
    assertEquals(new AppendResult(1, false), appendPid(log, "dev-1", 7, false, "s/t", p1));
    // THEN a DUP=1 redelivery of it is a duplicate
    assertEquals(new AppendResult(1, true), appendPid(log, "dev-1", 7, true, "s/t", p1));
    // AND a DUP=1 with another payload or topic, or from another client, is a new message
    assertEquals(new AppendResult(2, false), appendPid(log, "dev-1", 7, true, "s/t", p2));
    assertEquals(new AppendResult(3, false), appendPid(log, "dev-1", 7, true, "s/other", p2));
    assertEquals(new AppendResult(4, false), appendPid(log, "dev-2", 7, true, "s/t", p1));
    // AND a DUP=0 with the same packet id and payload is a new message (the id was reused)
    assertEquals(new AppendResult(5, false), appendPid(log, "dev-1", 7, false, "s/t", p1));
    // AND a DUP=0 reuse with another payload replaces the entry: the old payload is no longer a duplicate
    assertEquals(new AppendResult(6, false), appendPid(log, "dev-1", 7, false, "s/t", p2));
    assertEquals(new AppendResult(6, true), appendPid(log, "dev-1", 7, true, "s/t", p2));
    assertEquals(new AppendResult(7, false), appendPid(log, "dev-1", 7, true, "s/t", p1));

    assertEquals(7, LogContents.all(log).size());
    assertEquals(2.0, hits("dup"));
    log.close();
  }

  private static AppendResult appendPid(EventLog log, String client, int pid, boolean dup, String topic, byte[] p) {
    byte[] env = EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, client, topic, null, 1, 1, p));
    return await(log.append(env, DedupKey.packetId(client, pid, dup, topic, p)), 20);
  }

  @Test
  void withDedupDisabledKeysAreIgnored(Vertx vertx) {
    EventLog log = open(dir.resolve("db"), BASE.withDedup(DedupSettings.disabled()), vertx);
    assertEquals(new AppendResult(1, false), appendId(log, "dev-1", "m-1", 0));
    assertEquals(new AppendResult(2, false), appendId(log, "dev-1", "m-1", 1));
    assertFalse(log.dedupStats().enabled());
    assertEquals(0, dedupKeysOnDisk(log));
    log.close();
  }

  @Test
  void appendRateWithDedupOnAndOff(Vertx vertx) {
    // the shape of EventLogTest's 10,000-append test (2 event loops x 5,000), every event with a new id;
    // printed, not asserted (timing belongs to the benchmark)
    Map<String, List<Double>> rates = new java.util.TreeMap<>();
    int run = 0;
    for (int round = 0; round < 6; round++) {
      for (boolean on : new boolean[] {false, true}) {
        LogSettings settings = BASE.withDedup(on ? DedupSettings.defaults() : DedupSettings.disabled());
        EventLog log = EventLog.open(dir.resolve("perf-" + run++), settings, vertx, new SimpleMeterRegistry(), clock);
        long start = System.nanoTime();
        Future<?> a = appendWithIds(vertx, log, "a");
        Future<?> b = appendWithIds(vertx, log, "b");
        await(Future.all(a, b), 60);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(10_001, log.nextSeq());
        rates.computeIfAbsent(on ? "on" : "off", k -> new ArrayList<>()).add(10_000 / seconds);
        log.close();
      }
    }
    System.out.printf("EventLogDedupTest: 10000 durable appends with ids from 2 event loops, median of 5 warm runs: "
        + "dedup off %.0f appends/s, dedup on %.0f appends/s (runs: off %s; on %s)%n", warmMedian(rates.get("off")),
        warmMedian(rates.get("on")), fmt(rates.get("off")), fmt(rates.get("on")));
  }

  private static double warmMedian(List<Double> rates) {
    List<Double> warm = new ArrayList<>(rates.subList(1, rates.size()));
    Collections.sort(warm);
    return warm.get(warm.size() / 2);
  }

  private static String fmt(List<Double> rates) {
    return String.join(" / ", rates.stream().map(r -> String.format("%.0f", r)).toList());
  }

  private static Future<?> appendWithIds(Vertx vertx, EventLog log, String source) {
    return vertx.deployVerticle((Context ctx) -> {
      List<Future<AppendResult>> all = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        all.add(log.append(envelope(source, "m-" + i, i), DedupKey.explicitId(source, "m-" + i)));
      }
      return Future.all(all);
    });
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /**
   * A dedup lookup reads a few KiB, not the whole filter of a large SST file. Regression: the
   * dedup column family had one full filter per file (8.5 MB for 6.8M keys in a benchmark soak)
   * and the block cache 64 shards of 768 KiB, so that filter never stayed cached and every
   * lookup past the in-memory Bloom filters read all of it again: 9.5 GB/s of reads and a whole
   * core for the log writer at 19k events/s.
   */
  @Test
  void lookupsInALargeDedupFileReadLittle(Vertx vertx) throws IOException {
    Path io = Path.of("/proc/self/io");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(io), "Linux only");
    EventLog log = open(dir.resolve("db"), BASE, vertx);
    try {
      AuxStore dedup = log.store("dedup");
      Random random = new Random(42);
      byte[] value = new byte[0];
      for (int chunk = 0; chunk < 12; chunk++) {
        Map<byte[], byte[]> keys = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
          byte[] key = new byte[24];
          random.nextBytes(key);
          keys.put(key, value);
        }
        dedup.putAll(keys);
      }
      log.compactColumnFamily("dedup"); // 1.2M keys in one file: a full filter would be ~1.5 MB (read 1.5 MB per lookup before; ~70 KB for all 2,000 now)
      long before = readBytes(io);
      int found = 0;
      for (int i = 0; i < 2_000; i++) {
        byte[] absent = new byte[24];
        random.nextBytes(absent);
        found += dedup.get(absent) == null ? 0 : 1;
      }
      long read = readBytes(io) - before;
      assertEquals(0, found);
      assertTrue(read < 4L * 1024 * 1024, "2,000 lookups read " + read + " bytes");
    } finally {
      log.close();
    }
  }

  /**
   * Dedup keys start with their time bucket, and new keys land in the newest bucket. With
   * RocksDB's default target file size (64 MiB) compaction merged the whole window into one file
   * (a flush holding keys of two buckets overlaps both), and every later compaction of a few new
   * keys read and rewrote all of it: up to 43 MB for 2.4 MB of new keys in a benchmark run,
   * every few seconds at full rate. In files of 4 MiB only the files of the newest bucket are.
   */
  @Test
  void compactingNewKeysLeavesTheFilesOfOlderBucketsAlone(Vertx vertx) {
    EventLog log = open(dir.resolve("db"), BASE, vertx);
    try {
      AuxStore dedup = log.store("dedup");
      Random random = new Random(7);
      for (int chunk = 0; chunk < 10; chunk++) { // like flushes, each holds keys of every bucket
        dedup.putAll(bucketKeys(random, 100_000, 0, 10));
      }
      log.compactColumnFamily("dedup");
      byte[] newest = bucketStart(9);
      List<String> older = log.columnFamilyFiles("dedup").stream()
          .filter(f -> Arrays.compareUnsigned(f.largestKey(), newest) < 0).map(f -> f.fileName()).toList();
      assertTrue(older.size() >= 2, "files of buckets 0-8 only: " + older);

      dedup.putAll(bucketKeys(random, 50_000, 9, 10)); // the newest bucket fills on
      log.compactColumnFamily("dedup");

      List<String> after = log.columnFamilyFiles("dedup").stream().map(f -> f.fileName()).toList();
      assertTrue(after.containsAll(older), "files of older buckets " + older + " were rewritten: now " + after);
    } finally {
      log.close();
    }
  }

  /** {@code count} random dedup keys of the buckets {@code from} (incl.) to {@code to} (excl.). */
  private static Map<byte[], byte[]> bucketKeys(Random random, int count, int from, int to) {
    Map<byte[], byte[]> keys = new HashMap<>();
    for (int i = 0; i < count; i++) {
      byte[] key = new byte[24];
      random.nextBytes(key);
      System.arraycopy(bucketStart(from + random.nextInt(to - from)), 0, key, 0, 8);
      keys.put(key, new byte[8]);
    }
    return keys;
  }

  /** The 8-byte big-endian bucket start that prefixes a dedup key. */
  private static byte[] bucketStart(int bucket) {
    return java.nio.ByteBuffer.allocate(8).putLong(1_800_000_000_000L + bucket * 60_000L).array();
  }

  @Test
  void blockCacheShardsHoldAFilterOfMegabytes() {
    assertEquals(0, EventLog.cacheShardBits(LogSettings.MIN_MEMORY_BYTES)); // one 8 MiB shard
    assertEquals(1, EventLog.cacheShardBits(16L * 1024 * 1024));
    assertEquals(2, EventLog.cacheShardBits(LogSettings.DEFAULT_MEMORY_BYTES)); // 4 x 12 MiB
    assertEquals(3, EventLog.cacheShardBits(1024L * 1024 * 1024)); // at most 8 shards
  }

  private static long readBytes(Path io) throws IOException {
    for (String line : Files.readAllLines(io)) {
      if (line.startsWith("rchar:")) {
        return Long.parseLong(line.substring(6).strip());
      }
    }
    throw new IllegalStateException("no rchar in " + io);
  }
}
