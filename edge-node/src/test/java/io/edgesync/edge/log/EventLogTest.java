package io.edgesync.edge.log;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLogTest {
  private static final LogSettings DEFAULTS = new LogSettings(65_536, 64L * 1024 * 1024, 4096);

  @TempDir
  Path dir;

  static byte[] envelope(Priority p, String source, int i) {
    return EnvelopeCodec.encode(new Event(0, 0, p, source, "t/" + source, null, i, i,
        (source + ":" + i).getBytes(StandardCharsets.UTF_8)));
  }

  static Priority classOf(int i) {
    return Priority.fromCode(i % 3);
  }

  /** Appends {@code n} envelopes from one new event-loop context; returns the seqs in append order. */
  static Future<List<Long>> appendFromEventLoop(Vertx vertx, EventLog log, String source, int n,
      AtomicBoolean completedOnCaller) {
    List<Long> seqs = Collections.synchronizedList(new ArrayList<>());
    return vertx.deployVerticle((Context ctx) -> {
      List<Future<Long>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(log.append(envelope(classOf(i), source, i)).onSuccess(seq -> {
          if (Vertx.currentContext() != ctx) {
            completedOnCaller.set(false);
          }
        }));
      }
      return Future.all(all).onSuccess(cf -> all.forEach(f -> seqs.add(f.result())));
    }).map(id -> seqs);
  }

  @Test
  void tenThousandAppendsFromTwoEventLoopsAreGapFreeAndReadInOrder(Vertx vertx) {
    // GIVEN an empty log
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, registry);
    AtomicBoolean onCaller = new AtomicBoolean(true);

    // WHEN two event loops append 5,000 events each, concurrently
    long start = System.nanoTime();
    Future<List<Long>> a = appendFromEventLoop(vertx, log, "a", 5000, onCaller);
    Future<List<Long>> b = appendFromEventLoop(vertx, log, "b", 5000, onCaller);
    List<Long> seqsA = await(a, 60);
    List<Long> seqsB = await(b, 60);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("EventLogTest: 10000 durable appends from 2 event loops in %.3f s = %.0f appends/s, "
            + "%d group commits (mean group %.1f)%n", seconds, 10000 / seconds,
        registry.get("edge.log.group.size").summary().count(), registry.get("edge.log.group.size").summary().mean());

    // THEN seqs 1..10000 are each assigned once, in append order per event loop
    List<Long> all = new ArrayList<>(seqsA);
    all.addAll(seqsB);
    Collections.sort(all);
    for (int i = 0; i < 10_000; i++) {
      assertEquals(i + 1, all.get(i));
    }
    assertIncreasing(seqsA);
    assertIncreasing(seqsB);
    assertTrue(onCaller.get(), "every append future completes on the context that asked");
    assertEquals(10_001, log.nextSeq());
    assertEquals(10_000, registry.get("edge.log.appends").counter().count());

    // AND each class reads back gap-free from classSeq 1, seq increasing, envelopes patched
    int total = 0;
    for (Priority p : Priority.values()) {
      List<Event> events = LogContents.of(log, p);
      for (int i = 0; i < events.size(); i++) {
        assertEquals(i + 1, events.get(i).classSeq(), "classSeq of " + p);
        assertEquals(p, events.get(i).priority());
        if (i > 0) {
          assertTrue(events.get(i).seq() > events.get(i - 1).seq());
        }
      }
      assertEquals(events.size(), log.lastClassSeq(p));
      total += events.size();
    }
    assertEquals(10_000, total);
    Map<String, Integer> perSource = new TreeMap<>();
    LogContents.all(log).forEach(e -> perSource.merge(e.source(), 1, Integer::sum));
    assertEquals(Map.of("a", 5000, "b", 5000), perSource);
    // AND RocksDB's memory shows in the metrics: the memtables hold the events, charged to the
    // shared cache, which stays within log.memoryBytes
    double memtables = registry.get("edge.log.rocksdb.memory.bytes").tag("kind", "memtables").gauge().value();
    double cache = registry.get("edge.log.rocksdb.memory.bytes").tag("kind", "block_cache").gauge().value();
    assertTrue(memtables > 10_000 * 50, "memtables " + memtables);
    assertTrue(cache >= memtables && cache <= DEFAULTS.memoryBytes(), "block cache " + cache);
    log.close();
    assertNull(registry.find("edge.log.rocksdb.memory.bytes").gauge(), "the gauges go with the closed log");
  }

  @Test
  void aGroupLargerThanTheKeptWriteBatchAndTheGroupsAfterItReadBackExactly(Vertx vertx) {
    // GIVEN a log (its writer reuses one WriteBatch, and frees it after a group above 4 MiB)
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, registry);

    // WHEN 96 events of 64 KiB (6 MiB) are appended at once, then 300 small ones one by one
    // (encoded first: enqueued back to back, they meet the writer as one burst, not at the encoder's pace)
    List<byte[]> envelopes = new ArrayList<>();
    for (int i = 0; i < 96; i++) {
      byte[] payload = new byte[64 * 1024];
      java.util.Arrays.fill(payload, (byte) i);
      envelopes.add(EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "big", "t/big", null, i, i, payload)));
    }
    List<Future<Long>> big = new ArrayList<>();
    for (byte[] envelope : envelopes) {
      big.add(log.append(envelope));
    }
    await(Future.all(big), 30);
    for (int i = 0; i < 300; i++) {
      await(log.append(envelope(Priority.NORMAL, "small", i)), 10);
    }

    // THEN the large group was committed in few groups, and every event reads back as written
    double largest = registry.get("edge.log.group.size").summary().max();
    System.out.printf("EventLogTest: largest group %.0f events (64 KiB each)%n", largest);
    assertTrue(largest > 8, "the 64 KiB events grouped: " + largest);
    List<Event> events = LogContents.of(log, Priority.NORMAL);
    assertEquals(396, events.size());
    for (int i = 0; i < 96; i++) {
      Event e = events.get(i);
      assertEquals("big", e.source());
      assertEquals(64 * 1024, e.payload().length);
      for (byte b : e.payload()) {
        assertEquals((byte) i, b, "payload of big event " + i);
      }
    }
    for (int i = 0; i < 300; i++) {
      Event e = events.get(96 + i);
      assertEquals(i + 97, e.classSeq());
      assertEquals("small:" + i, new String(e.payload(), StandardCharsets.UTF_8));
    }
    log.close();
  }

  @Test
  void reopenRecoversCountersAndTheEpochAndTheNextAppendContinues(Vertx vertx) {
    // GIVEN a log with 10,000 events, closed
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    await(appendFromEventLoop(vertx, log, "a", 10_000, new AtomicBoolean(true)), 60);
    long[] last = new long[3];
    for (Priority p : Priority.values()) {
      last[p.code()] = log.lastClassSeq(p);
    }
    long epoch = log.logEpoch();
    log.close();
    log.close(); // idempotent

    // WHEN it is opened again
    EventLog reopened = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());

    // THEN the counters are recovered and the next append continues at 10001
    assertEquals(10_001, reopened.nextSeq());
    // AND the log keeps its epoch, while a new data folder draws another (what tells the cloud a
    // recreated log from the old one)
    assertNotEquals(0, epoch);
    assertEquals(epoch, reopened.logEpoch());
    EventLog other = EventLog.open(dir.resolve("other"), DEFAULTS, vertx, new SimpleMeterRegistry());
    assertNotEquals(epoch, other.logEpoch());
    other.close();
    for (Priority p : Priority.values()) {
      assertEquals(last[p.code()], reopened.lastClassSeq(p));
    }
    List<Long> next = await(appendFromEventLoop(vertx, reopened, "b", 1, new AtomicBoolean(true)), 10);
    assertEquals(List.of(10_001L), next);
    List<Event> critical = LogContents.of(reopened, Priority.CRITICAL);
    Event newest = critical.get(critical.size() - 1);
    assertEquals(10_001, newest.seq());
    assertEquals(last[Priority.CRITICAL.code()] + 1, newest.classSeq());
    reopened.close();
  }

  @Test
  void releaseDeletesTheRangeAndPersistsTheWatermark(Vertx vertx) {
    // GIVEN 30 events (10 per class)
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, registry);
    await(appendFromEventLoop(vertx, log, "a", 30, new AtomicBoolean(true)), 10);
    assertEquals(10, log.lastClassSeq(Priority.NORMAL));

    // WHEN normal is released up to 6, then a stale release up to 3 arrives
    log.release(Priority.NORMAL, 6);
    log.release(Priority.NORMAL, 3);

    // THEN 7..10 remain, the watermark is 6, the backlog gauge says 4
    assertEquals(6, log.releasedClassSeq(Priority.NORMAL));
    assertEquals(List.of(7L, 8L, 9L, 10L), classSeqs(LogContents.of(log, Priority.NORMAL)));
    assertEquals(4, log.read(Priority.NORMAL, 1, 100, 1 << 20).size());
    assertEquals(4.0, registry.get("edge.log.backlog.events").tag("class", "normal").gauge().value());
    assertEquals(10.0, registry.get("edge.log.backlog.events").tag("class", "bulk").gauge().value());
    log.close();

    // AND after a reopen the watermark and the deletion hold
    EventLog reopened = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    assertEquals(6, reopened.releasedClassSeq(Priority.NORMAL));
    assertEquals(10, reopened.lastClassSeq(Priority.NORMAL));
    assertEquals(List.of(7L, 8L, 9L, 10L), classSeqs(LogContents.of(reopened, Priority.NORMAL)));
    reopened.release(Priority.NORMAL, 10);
    assertTrue(LogContents.of(reopened, Priority.NORMAL).isEmpty());
    assertEquals(0, reopened.backlog(Priority.NORMAL));
    assertEquals(10, LogContents.of(reopened, Priority.CRITICAL).size());
    reopened.close();
  }

  @Test
  void readStopsAtMaxEventsAndMaxBytesButReturnsAtLeastOne(Vertx vertx) {
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    await(appendFromEventLoop(vertx, log, "a", 30, new AtomicBoolean(true)), 10);
    int size = log.read(Priority.CRITICAL, 1, 1, Integer.MAX_VALUE).get(0).length;

    assertEquals(3, log.read(Priority.CRITICAL, 1, 3, Integer.MAX_VALUE).size());
    assertEquals(2, log.read(Priority.CRITICAL, 1, 100, 2 * size + 1).size());
    assertEquals(1, log.read(Priority.CRITICAL, 1, 100, 1).size(), "at least one envelope");
    assertEquals(List.of(9L, 10L), classSeqs(decode(log.read(Priority.CRITICAL, 9, 100, 1 << 20))));
    assertTrue(log.read(Priority.CRITICAL, 11, 100, 1 << 20).isEmpty());
    log.close();
  }

  @Test
  void aFullQueueFailsFastWithLogFullException(Vertx vertx) throws Exception {
    // GIVEN a log whose queue holds 8 appends and whose writer is held after its first group
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EventLog log = EventLog.open(dir.resolve("db"), new LogSettings(8, 1 << 20, 4096), vertx, registry);
    CountDownLatch writerHeld = new CountDownLatch(1);
    CountDownLatch releaseWriter = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    log.onDurable(() -> {
      if (first.compareAndSet(true, false)) {
        writerHeld.countDown();
        try {
          releaseWriter.await(30, TimeUnit.SECONDS); // test only: a real listener never blocks
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    Context ctx = vertx.getOrCreateContext();
    await(onContext(ctx, () -> log.append(envelope(Priority.NORMAL, "a", 0))), 10);
    assertTrue(writerHeld.await(10, TimeUnit.SECONDS));

    // WHEN 9 more appends arrive while the writer is held
    List<Future<Long>> queued = new ArrayList<>();
    AtomicReference<Future<Long>> ninth = new AtomicReference<>();
    await(onContext(ctx, () -> {
      for (int i = 1; i <= 8; i++) {
        queued.add(log.append(envelope(Priority.NORMAL, "a", i)));
      }
      ninth.set(log.append(envelope(Priority.NORMAL, "a", 9)));
      return Future.succeededFuture(0L);
    }), 10);

    // THEN the 9th fails at once, the 8 queued ones become durable once the writer runs again
    assertTrue(ninth.get().failed());
    assertInstanceOf(LogFullException.class, ninth.get().cause());
    assertEquals(1.0, registry.get("edge.log.queue.full").counter().count());
    assertEquals(8, log.queueDepth());
    assertFalse(queued.get(0).isComplete());
    releaseWriter.countDown();
    List<Long> seqs = new ArrayList<>();
    for (Future<Long> f : queued) {
      seqs.add(await(f, 10));
    }
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seqs);
    log.close();
  }

  @Test
  void aQueueOverItsByteBoundFailsFast(Vertx vertx) throws Exception {
    // GIVEN a byte bound of 3 envelopes and a held writer
    byte[] sample = envelope(Priority.BULK, "a", 100);
    EventLog log = EventLog.open(dir.resolve("db"), new LogSettings(1000, 3L * sample.length, 4096), vertx,
        new SimpleMeterRegistry());
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean first = new AtomicBoolean(true);
    log.onDurable(() -> {
      if (first.compareAndSet(true, false)) {
        held.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    Context ctx = vertx.getOrCreateContext();
    await(onContext(ctx, () -> log.append(envelope(Priority.BULK, "a", 100))), 10);
    assertTrue(held.await(10, TimeUnit.SECONDS));

    // WHEN 4 same-size appends arrive
    List<Future<Long>> results = new ArrayList<>();
    await(onContext(ctx, () -> {
      for (int i = 101; i <= 104; i++) {
        results.add(log.append(envelope(Priority.BULK, "a", i)));
      }
      return Future.succeededFuture(0L);
    }), 10);

    // THEN the 4th is refused, the first 3 are taken
    assertInstanceOf(LogFullException.class, results.get(3).cause());
    release.countDown();
    assertEquals(4L, await(results.get(2), 10));
    log.close();
  }

  @Test
  void auxiliaryStoresPersistBesideTheLogAndRefuseUseAfterClose(Vertx vertx) {
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    AuxStore dlq = log.store("dlq");
    dlq.put(new byte[] {1}, new byte[] {10});
    dlq.putAll(java.util.Map.of(new byte[] {2}, new byte[] {20}, new byte[] {3}, new byte[] {30}));
    dlq.delete(new byte[] {3});
    log.close();
    EventLog reopened = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    java.util.List<Integer> values = new java.util.ArrayList<>();
    reopened.store("dlq").forEach(null, (k, v) -> values.add((int) v[0]));
    assertEquals(java.util.List.of(10, 20), values);
    assertEquals(null, reopened.store("state").get(new byte[] {1}), "stores are separate column families");
    assertThrows(IllegalArgumentException.class, () -> reopened.store("nope"));
    reopened.close();
    assertThrows(LogClosedException.class, () -> reopened.store("dlq").get(new byte[] {1}));
  }

  @Test
  void aReadNeverReturnsAGroupThatIsWrittenButNotYetPublished(Vertx vertx) throws Exception {
    // GIVEN a log with 10 durable normal events
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    List<Future<Long>> first = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      first.add(log.append(envelope(Priority.NORMAL, "a", i)));
    }
    await(Future.all(first), 30);
    // AND a writer thread that stops between writing the next group and publishing it (on a busy
    // machine it can lose its core there for longer than a batch's round trip to the cloud)
    CountDownLatch written = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    log.afterGroupWrite(() -> {
      written.countDown();
      try {
        go.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    List<Future<Long>> second = new ArrayList<>();
    for (int i = 10; i < 15; i++) {
      second.add(log.append(envelope(Priority.NORMAL, "a", i)));
    }
    assertTrue(written.await(30, TimeUnit.SECONDS), "the next group was written");
    List<byte[]> fromStart;
    List<byte[]> fromEnd;
    try {
      // WHEN the class is read meanwhile
      assertEquals(10, log.lastClassSeq(Priority.NORMAL));
      fromStart = log.read(Priority.NORMAL, 1, 1000, 1 << 20);
      fromEnd = log.read(Priority.NORMAL, 11, 1000, 1 << 20);
    } finally {
      log.afterGroupWrite(null);
      go.countDown();
    }

    // THEN a read returns what lastClassSeq reports as appended, not the group being published
    // (the forwarder took a cloud watermark above lastClassSeq for a wiped log and held the class)
    assertEquals(10, fromStart.size());
    assertEquals(10, EnvelopeCodec.classSeqOf(fromStart.get(9)));
    assertEquals(0, fromEnd.size());
    // AND once published, the group reads back
    await(Future.all(second), 30);
    assertEquals(15, log.lastClassSeq(Priority.NORMAL));
    assertEquals(15, log.read(Priority.NORMAL, 1, 1000, 1 << 20).size());
    assertEquals(5, log.read(Priority.NORMAL, 11, 1000, 1 << 20).size());
    log.close();
  }

  @Test
  void appendsAfterCloseFailAndCloseIsIdempotent(Vertx vertx) {
    EventLog log = EventLog.open(dir.resolve("db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    log.close();
    Future<Long> f = log.append(envelope(Priority.NORMAL, "a", 1));
    assertInstanceOf(LogClosedException.class, f.cause());
    assertFalse(log.isOpen());
    log.close();
  }

  @Test
  void aSecondOpenOfTheSameFolderFailsNamingThePath(Vertx vertx) {
    EventLog log = EventLog.open(dir.resolve("nested/deeper/db"), DEFAULTS, vertx, new SimpleMeterRegistry());
    EventLogException e = org.junit.jupiter.api.Assertions.assertThrows(EventLogException.class,
        () -> EventLog.open(dir.resolve("nested/deeper/db"), DEFAULTS, vertx, new SimpleMeterRegistry()));
    assertTrue(e.getMessage().contains(dir.resolve("nested/deeper/db").toString()), e.getMessage());
    log.close();
  }

  private static <T> Future<T> onContext(Context ctx, java.util.function.Supplier<Future<T>> action) {
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    ctx.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  private static List<Long> classSeqs(List<Event> events) {
    return events.stream().map(Event::classSeq).toList();
  }

  private static List<Event> decode(List<byte[]> envelopes) {
    return envelopes.stream().map(EnvelopeCodec::decode).toList();
  }

  private static void assertIncreasing(List<Long> seqs) {
    for (int i = 1; i < seqs.size(); i++) {
      assertTrue(seqs.get(i) > seqs.get(i - 1), "append order is seq order on one event loop");
    }
  }
}
