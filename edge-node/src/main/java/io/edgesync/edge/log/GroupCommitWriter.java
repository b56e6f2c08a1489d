package io.edgesync.edge.log;

import io.edgesync.edge.dedup.DedupIndex;
import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the event log: one dedicated thread drains a bounded queue of
 * pending appends and commits them in groups. Per group it assigns {@code seq} (global,
 * gap-free) and {@code classSeq} (per class, gap-free), patches them into the envelopes,
 * and writes the envelopes plus the {@code next.*} counters in ONE {@link WriteBatch} with
 * the WAL fsynced. Only then does it complete each append's future, on the Vert.x context
 * that asked (one {@code runOnContext} per context per group), and call the
 * {@link #onDurable(Runnable) durable listeners}.
 *
 * <p>Dedup: when the log has a {@link DedupIndex}, an append carrying a {@link DedupKey} is
 * checked on this thread against the stored keys of the window and against the earlier
 * appends of the same group; a duplicate gets no seq, is not stored, and completes with
 * {@code AppendResult(originalSeq, true)}. A new key is put into the same
 * {@code WriteBatch} as its event.
 *
 * <p>Group size adapts to load: the writer takes whatever is queued, up to
 * {@code maxGroupEvents} and {@link #MAX_GROUP_BYTES}, so an idle log commits single
 * events and a loaded one commits thousands per fsync.
 *
 * <p>Disk quota ({@link QuotaSettings}, docs/ARCHITECTURE-edge.md "Disk quota"): before each
 * group the writer checks the live bytes of the log. Above the high watermark it evicts the
 * oldest unreleased events of the drop-oldest classes, in whole ranges, down to the low
 * watermark; each eviction is one WriteBatch (sync) holding the {@code DeleteRange}, the
 * eviction counters and a critical loss-ledger event. An append that still does not fit under
 * the quota waits here, in order, with everything behind it (its future stays open, so no
 * PUBACK), and the log reports full pressure so the MQTT ingest pauses the publishing sockets;
 * once a release brings the log under the low watermark they resume.
 *
 * <p>Threads: {@link #append} from any thread (normally an event loop; never blocks);
 * the counters marked "writer thread" are touched only by the writer thread; the
 * published counters are atomics.
 */
public final class GroupCommitWriter {
  /** Upper bound of the envelope bytes of one group (at least one event is always taken). */
  static final long MAX_GROUP_BYTES = 16L * 1024 * 1024;
  /** WriteBatch bytes kept for the next group commit (see {@link #groupBatch}). */
  static final long KEEP_BATCH_BYTES = 4L * 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final long POLL_MS = 50;
  /** Longest wait for room while appends are held at the quota (a release wakes the writer at once). */
  private static final long ROOM_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long SAMPLE_NANOS = TimeUnit.SECONDS.toNanos(1);
  static final String LEDGER_SOURCE = "edge:ledger";
  static final String LEDGER_TOPIC = "$edge/ledger";
  /** Room for the loss-ledger event an eviction adds (its envelope is ~250 bytes). */
  private static final long LEDGER_ALLOWANCE = 512;
  /**
   * Smallest live size of a class worth evicting: below it a range would free little more than
   * its own ledger event costs (the log then waits instead, as with nothing to evict).
   */
  private static final long MIN_EVICTABLE_BYTES = 4 * LEDGER_ALLOWANCE;
  /** Most envelope bytes one downsample pass reads (and holds decoded): bounds its heap. */
  static final long MAX_DOWNSAMPLE_BYTES = 8L * 1024 * 1024;
  /** Eviction order: lowest priority first; critical never. */
  private static final List<Priority> EVICTABLE = List.of(Priority.BULK, Priority.NORMAL);

  /** One append waiting for its group commit. */
  private static final class Pending {
    final byte[] envelope;
    final int classCode;
    final DedupKey key; // null: nothing to dedup on
    final Context context;
    final Promise<AppendResult> promise = Promise.promise();
    long seq; // assigned by the writer thread
    boolean duplicate; // decided by the writer thread

    Pending(byte[] envelope, int classCode, DedupKey key, Context context) {
      this.envelope = envelope;
      this.classCode = classCode;
      this.key = key;
      this.context = context;
    }
  }

  private final Vertx vertx;
  private final String dbPath;
  private final RocksDB db;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final ColumnFamilyHandle dedupCf;
  private final DedupIndex dedup; // null when dedup is disabled
  private final WriteOptions syncWrite;
  private final int maxGroupEvents;
  private final int queueCapacity;
  private final long queueMaxBytes;
  private final ArrayBlockingQueue<Pending> queue;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicInteger appendsInProgress = new AtomicInteger();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean accepting = true;
  private final LogSpace space;
  private final QuotaSettings quota;
  /** True while appends are held at the quota (until the log is back under the low watermark). */
  private volatile boolean blocked;
  /**
   * The group commit's WriteBatch, cleared and reused (writer thread only). A new batch per group
   * grew its buffer by doubling from a few bytes: ~8 malloc-and-copy steps for a loaded group,
   * megabytes of native memory churned through malloc per second at full rate. A batch that grew
   * past {@link #KEEP_BATCH_BYTES} is freed after its group, so a rare huge group is not kept.
   */
  private WriteBatch groupBatch;
  /** Appends that did not fit under the quota at the last admission (published for status and tests). */
  private volatile int held;

  // writer thread only: appends taken from the queue, waiting for the next group (bounded by one group)
  private final ArrayDeque<Pending> staging = new ArrayDeque<>();
  private long stagedBytes;
  private long lastSampleNanos;

  // writer thread only
  private long nextSeq;
  private final long[] nextClassSeq = new long[LogKeys.CLASSES];

  // published after each durable group
  private volatile long durableNextSeq;
  private final AtomicLongArray lastClassSeq = new AtomicLongArray(LogKeys.CLASSES);

  /** See {@link #afterGroupWrite(Runnable)}; null outside tests. */
  private volatile Runnable afterGroupWrite;

  private final Counter appendsTotal;
  private final Counter queueFullTotal;
  private final Counter writeErrorsTotal;
  /** Why the last group commit failed, or null when the last one succeeded (a full disk, until RocksDB resumes). */
  private volatile String writeError;
  /** Per class: events compacted into summaries, and the summaries written (downsample policy). */
  private final Counter[] downsampledTotal = new Counter[LogKeys.CLASSES];
  private final Counter[] summariesTotal = new Counter[LogKeys.CLASSES];
  private final DistributionSummary groupSize;
  private final Timer commitTimer;
  private final List<Meter> meters = new ArrayList<>();
  private final MeterRegistry registry;

  /**
   * @param nextSeq       the next global sequence number (recovered from meta)
   * @param nextClassSeq  the next class sequence number per class code (recovered)
   * @param dedup         the open dedup index (its keys go to {@code dedupCf}); null = no dedup
   */
  GroupCommitWriter(Vertx vertx, String dbPath, RocksDB db, ColumnFamilyHandle logCf, ColumnFamilyHandle metaCf,
      ColumnFamilyHandle dedupCf, DedupIndex dedup, WriteOptions syncWrite, LogSettings settings, long nextSeq,
      long[] nextClassSeq, LogSpace space, MeterRegistry registry) {
    this.space = space;
    this.quota = settings.quota();
    this.vertx = vertx;
    this.dbPath = dbPath;
    this.db = db;
    this.logCf = logCf;
    this.metaCf = metaCf;
    this.dedupCf = dedupCf;
    this.dedup = dedup;
    this.syncWrite = syncWrite;
    this.maxGroupEvents = settings.maxGroupEvents();
    this.queueCapacity = settings.queueCapacity();
    this.queueMaxBytes = settings.queueMaxBytes();
    this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    this.nextSeq = nextSeq;
    this.durableNextSeq = nextSeq;
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      this.nextClassSeq[c] = nextClassSeq[c];
      this.lastClassSeq.set(c, nextClassSeq[c] - 1);
    }
    this.registry = registry;
    this.appendsTotal = register(Counter.builder("edge.log.appends")
        .description("events made durable in the log").register(registry));
    this.queueFullTotal = register(Counter.builder("edge.log.queue.full")
        .description("appends refused because the writer queue was full").register(registry));
    this.writeErrorsTotal = register(Counter.builder("edge.log.write.errors")
        .description("group commits that failed in RocksDB").register(registry));
    for (Priority p : Priority.values()) {
      downsampledTotal[p.code()] = register(Counter.builder("edge.log.downsampled.events").tag("class", p.label())
          .description("events compacted into summary events at the disk quota (downsample policy; each range has a "
              + "loss-ledger event)").register(registry));
      summariesTotal[p.code()] = register(Counter.builder("edge.log.summaries").tag("class", p.label())
          .description("summary events written in place of downsampled ranges").register(registry));
    }
    this.groupSize = register(DistributionSummary.builder("edge.log.group.size")
        .description("events per group commit").publishPercentiles(0.5, 0.99).register(registry));
    this.commitTimer = register(Timer.builder("edge.log.commit")
        .description("time of one group commit (WriteBatch + WAL fsync)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry));
    register(Gauge.builder("edge.log.queue.depth", queue, ArrayBlockingQueue::size)
        .description("appends waiting for the writer thread").register(registry));
    register(Gauge.builder("edge.log.queue.bytes", queuedBytes, AtomicLong::get)
        .description("envelope bytes waiting for or in a group commit").baseUnit("bytes").register(registry));
    register(Gauge.builder("edge.log.queue.capacity", () -> queueCapacity)
        .description("bound of the writer queue (log.queueCapacity)").register(registry));
    this.thread = new Thread(this::run, "edge-log-writer");
    this.thread.setDaemon(true);
  }

  private <M extends Meter> M register(M meter) {
    meters.add(meter);
    return meter;
  }

  void start() {
    thread.start();
  }

  /**
   * Queues {@code envelope} for the next group commit. Never blocks. The array is owned by
   * the log after this call (its sequence fields are patched in place).
   *
   * @return the assigned {@code seq}, once the event is durable; completed on the calling
   *     context. Fails at once with {@link LogFullException} when the queue is at its bound,
   *     with {@link LogClosedException} when the log is closing, and later with
   *     {@link EventLogException} when the commit fails.
   */
  public Future<Long> append(byte[] envelope) {
    return append(envelope, null).map(AppendResult::seq);
  }

  /**
   * Like {@link #append(byte[])}, deduplicated on {@code key} (null: nothing to dedup on;
   * ignored when the log has no dedup index).
   *
   * @return the stored event's seq, or for a duplicate {@code (original seq or -1, true)}; the
   *     original is durable in both cases. Same failures as {@link #append(byte[])}.
   */
  public Future<AppendResult> append(byte[] envelope, DedupKey key) {
    int classCode;
    try {
      classCode = EnvelopeCodec.priorityOf(envelope).code();
    } catch (RuntimeException e) {
      return Future.failedFuture(new IllegalArgumentException("not an envelope: " + e.getMessage()));
    }
    appendsInProgress.incrementAndGet();
    try {
      if (!accepting) {
        return Future.failedFuture(new LogClosedException("[db: " + dbPath + "] the log is closing"));
      }
      long bytes = queuedBytes.addAndGet(envelope.length);
      // an append into an empty queue is always taken, so one large event can never be stuck
      if (bytes > queueMaxBytes && bytes != envelope.length) {
        queuedBytes.addAndGet(-envelope.length);
        queueFullTotal.increment();
        return Future.failedFuture(new LogFullException("log writer queue holds more than "
            + queueMaxBytes + " bytes (log.queueMaxBytes)"));
      }
      Context ctx = Vertx.currentContext();
      Pending p = new Pending(envelope, classCode, dedup == null ? null : key,
          ctx != null ? ctx : vertx.getOrCreateContext());
      if (!queue.offer(p)) {
        queuedBytes.addAndGet(-envelope.length);
        queueFullTotal.increment();
        return Future.failedFuture(new LogFullException("log writer queue holds " + queueCapacity
            + " appends (log.queueCapacity)"));
      }
      return p.promise.future();
    } finally {
      appendsInProgress.decrementAndGet();
    }
  }

  /** Why the last group commit failed, or null while group commits succeed. */
  public String writeError() {
    return writeError;
  }

  /** Appends waiting for the writer. */
  public int queueDepth() {
    return queue.size();
  }

  /** Envelope bytes waiting for or inside a group commit. */
  public long queuedBytes() {
    return queuedBytes.get();
  }

  /**
   * How full the queue is, 0..1 (the larger of the event and the byte ratio); 1 while appends
   * are held at the disk quota (until the log is back under the low watermark).
   */
  public double pressure() {
    if (blocked) {
      return 1.0;
    }
    return Math.max((double) queue.size() / queueCapacity, (double) queuedBytes.get() / queueMaxBytes);
  }

  /**
   * Tests: runs on the writer thread after a group's WriteBatch is written (its events are
   * visible to reads) and before the group is published ({@link #lastClassSeq}, completions).
   */
  void afterGroupWrite(Runnable hook) {
    afterGroupWrite = hook;
  }

  /** Highest durable class sequence of {@code classCode}; 0 when none. Non-blocking. */
  long lastClassSeq(int classCode) {
    return lastClassSeq.get(classCode);
  }

  /** The seq the next durable event will get. Non-blocking. */
  long nextSeq() {
    return durableNextSeq;
  }

  void onDurable(Runnable listener) {
    listeners.add(listener);
  }

  /** Whether appends are held at the disk quota. */
  boolean blocked() {
    return blocked;
  }

  /** Appends waiting for room under the quota (0 when none; up to one group, the queue holds the rest). */
  int held() {
    return held;
  }

  /** Wakes the writer when it waits for room (after a release). Any thread. */
  void roomFreed() {
    LockSupport.unpark(thread);
  }

  /**
   * Refuses new appends, commits everything queued, and stops the thread. Blocking; safe
   * to call more than once.
   *
   * @return false when the writer did not finish within {@code timeout}
   */
  boolean stopAndDrain(Duration timeout) {
    accepting = false;
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    meters.forEach(registry::remove);
    return !thread.isAlive();
  }

  private void run() {
    try {
      loop();
    } finally {
      if (groupBatch != null) {
        groupBatch.close();
        groupBatch = null;
      }
    }
  }

  private void loop() {
    while (true) {
      maybeSample();
      if (staging.isEmpty()) {
        Pending first;
        try {
          first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          // only stopAndDrain ends this thread, after the queue is empty
          continue;
        }
        if (first == null) {
          idle();
          if (!accepting && appendsInProgress.get() == 0 && queue.isEmpty()) {
            return;
          }
          continue;
        }
        stage(first);
      }
      Pending p;
      while (staging.size() < maxGroupEvents && stagedBytes < MAX_GROUP_BYTES && (p = queue.poll()) != null) {
        stage(p);
      }
      List<Pending> group = admit();
      if (group.isEmpty()) {
        if (!accepting) {
          // closing with no room: not stored, not acknowledged, so the clients redeliver
          failStaged(new LogClosedException("[db: " + dbPath + "] the log is closing and at its quota"));
          continue;
        }
        idle();
        LockSupport.parkNanos(ROOM_WAIT_NANOS); // a release unparks us
        continue;
      }
      long bytes = 0;
      for (Pending g : group) {
        bytes += g.envelope.length;
      }
      commit(group, bytes);
      checkUnblock();
    }
  }

  private void stage(Pending p) {
    staging.addLast(p);
    stagedBytes += p.envelope.length;
  }

  private void idle() {
    if (dedup != null) {
      dedup.maintain();
    }
    checkUnblock();
  }

  private void maybeSample() {
    long now = System.nanoTime();
    if (now - lastSampleNanos >= SAMPLE_NANOS) {
      lastSampleNanos = now;
      space.sample(db, logCf, now, System.currentTimeMillis());
    }
  }

  /**
   * The prefix of the staged appends that fits under the quota, after evicting drop-oldest
   * classes when the log is above the high watermark. What does not fit stays staged (in order).
   */
  private List<Pending> admit() {
    long used = space.usedBytes();
    if (used + stagedBytes > quota.highBytes()) {
      evict(used + stagedBytes - quota.lowBytes());
      used = space.usedBytes();
      if (used + stagedBytes > quota.highBytes()) {
        block(used);
      }
    }
    List<Pending> out = new ArrayList<>(staging.size());
    long taken = 0;
    while (!staging.isEmpty()) {
      int len = staging.peekFirst().envelope.length;
      // an append into an empty log is always taken, so one event larger than the quota cannot be stuck
      if (used + taken + len > quota.quotaBytes() && (used > 0 || taken > 0)) {
        break;
      }
      out.add(staging.pollFirst());
      stagedBytes -= len;
      taken += len;
    }
    held = staging.size();
    if (!staging.isEmpty()) {
      block(used + taken);
    }
    return out;
  }

  private void block(long used) {
    if (!blocked) {
      blocked = true;
      LOG.warn("[db: {}] disk quota: {} of {} bytes live and nothing left to evict; holding appends "
          + "(PUBACK withheld, publishing sockets paused) until the log is under {} bytes",
          dbPath, used, quota.quotaBytes(), quota.lowBytes());
    }
  }

  private void checkUnblock() {
    if (blocked && staging.isEmpty() && space.usedBytes() <= quota.lowBytes()) {
      blocked = false;
      LOG.info("[db: {}] disk quota: {} bytes live, under the low watermark {}; taking appends again",
          dbPath, space.usedBytes(), quota.lowBytes());
      notifyListeners();
    }
  }

  private void failStaged(RuntimeException failure) {
    List<Pending> failed = new ArrayList<>(staging);
    staging.clear();
    held = 0;
    long bytes = stagedBytes;
    stagedBytes = 0;
    queuedBytes.addAndGet(-bytes);
    complete(failed, failure);
  }

  /**
   * Evicts (drop-oldest) or compacts (downsample) classes, lowest priority first, until
   * {@code need} bytes are freed or none is left.
   */
  private void evict(long need) {
    long freed = 0;
    for (Priority p : EVICTABLE) {
      OverflowPolicy policy = quota.policy(p);
      if (!policy.evictable()) {
        continue;
      }
      while (freed < need) {
        long got = policy.kind() == OverflowPolicy.Kind.DOWNSAMPLE
            ? downsampleRange(p, need - freed, policy.windowMs())
            : evictRange(p, need - freed);
        if (got == Long.MIN_VALUE) {
          break;
        }
        freed += got;
      }
      if (freed >= need) {
        return;
      }
    }
  }

  /**
   * Evicts the oldest live events of {@code p} worth at least {@code want} bytes plus the
   * ledger event's cost, and at least a quarter of the watermark gap (so ranges stay large and
   * ledger events few), or all of them, in one WriteBatch with its loss-ledger event. Does
   * nothing when the class holds less than {@link #MIN_EVICTABLE_BYTES}.
   *
   * @return bytes freed net of the ledger event; {@link Long#MIN_VALUE} when nothing was evicted
   */
  private long evictRange(Priority p, long want) {
    int c = p.code();
    synchronized (space.lock) {
      long from = space.firstLive(c);
      long last = nextClassSeq[c] - 1;
      if (from > last || space.liveBytes(c) < MIN_EVICTABLE_BYTES) {
        return Long.MIN_VALUE;
      }
      long target = Math.max(want + LEDGER_ALLOWANCE, (quota.highBytes() - quota.lowBytes()) / 4);
      long[] range;
      try {
        range = LogSpace.sizes(db, logCf, c, from, last, target);
      } catch (RocksDBException | RuntimeException e) {
        LOG.error("[db: {}] [class: {}] eviction scan from classSeq {} failed: {}", dbPath, p.label(), from, e.toString());
        return Long.MIN_VALUE;
      }
      if (range[2] == 0) {
        return Long.MIN_VALUE;
      }
      long bytes = range[0];
      long to = range[1];
      long count = to - from + 1;
      long now = System.currentTimeMillis();
      JsonObject entry = new JsonObject()
          .put("class", p.label())
          .put("fromClassSeq", from)
          .put("toClassSeq", to)
          .put("count", count)
          .put("bytes", bytes)
          .put("reason", "quota")
          .put("at", Instant.ofEpochMilli(now).toString());
      Ledger ledger = new Ledger(entry, now);
      try (WriteBatch batch = new WriteBatch()) {
        batch.deleteRange(logCf, LogKeys.logKey(c, from), LogKeys.logKey(c, to + 1));
        batch.put(metaCf, LogKeys.evicted(c), LogKeys.longValue(to));
        batch.put(metaCf, LogKeys.evictedEvents(c), LogKeys.longValue(space.evictedEvents.get(c) + count));
        batch.put(metaCf, LogKeys.bytesEvicted(c), LogKeys.longValue(space.bytesEvicted.get(c) + bytes));
        ledger.addTo(batch);
        db.write(syncWrite, batch);
      } catch (RocksDBException | RuntimeException e) {
        writeErrorsTotal.increment();
        LOG.error("[db: {}] [class: {}] eviction of classSeq {}..{} failed: {}", dbPath, p.label(), from, to,
            e.toString());
        return Long.MIN_VALUE;
      }
      ledger.written();
      space.evicted.set(c, to);
      space.readSpans.dropThrough(c, to);
      space.evictedEvents.addAndGet(c, count);
      space.bytesEvicted.addAndGet(c, bytes);
      LOG.warn("[db: {}] [class: {}] disk quota: evicted classSeq {}..{} ({} events, {} bytes); loss ledger event "
          + "seq {}", dbPath, p.label(), from, to, count, bytes, ledger.seq);
      return bytes - ledger.event.length;
    }
  }

  /**
   * Compacts the oldest live events of {@code p} (a range sized as for {@link #evictRange}, at most
   * {@link #MAX_DOWNSAMPLE_BYTES}) into one summary event per source and {@code windowMs} of event
   * time ({@link Downsampler}), in one WriteBatch with its loss-ledger event. The summaries take
   * the LAST class sequence numbers of the range (and those events' global seqs), the rest of the
   * range is deleted: the class stays gap-free from the summaries on, and the forwarder sends the
   * jump before them with SKIP, as after an eviction. When compaction would not free at least half
   * the range (nearly every event its own group), the range is evicted instead.
   *
   * @return bytes freed net of the summaries and the ledger event; {@link Long#MIN_VALUE} when nothing was done
   */
  private long downsampleRange(Priority p, long want, long windowMs) {
    int c = p.code();
    synchronized (space.lock) {
      long from = space.firstLive(c);
      long last = nextClassSeq[c] - 1;
      if (from > last || space.liveBytes(c) < MIN_EVICTABLE_BYTES) {
        return Long.MIN_VALUE;
      }
      // a little more than asked: the summaries take some of the room back
      long target = Math.min(MAX_DOWNSAMPLE_BYTES,
          Math.max((want + LEDGER_ALLOWANCE) * 9 / 8 + 4096, (quota.highBytes() - quota.lowBytes()) / 4));
      Downsampler d = new Downsampler(windowMs);
      long[] seqs = new long[64];
      long bytes = 0;
      long to = from - 1;
      try (org.rocksdb.Slice upper = new org.rocksdb.Slice(LogKeys.logKey(c, last + 1));
           org.rocksdb.ReadOptions ro = new org.rocksdb.ReadOptions().setFillCache(false).setIterateUpperBound(upper);
           org.rocksdb.RocksIterator it = db.newIterator(logCf, ro)) {
        for (it.seek(LogKeys.logKey(c, from)); it.isValid() && bytes < target; it.next()) {
          byte[] value = it.value();
          Event e = EnvelopeCodec.decode(value);
          if (d.events() == seqs.length) {
            seqs = java.util.Arrays.copyOf(seqs, seqs.length * 2);
          }
          seqs[d.events()] = e.seq();
          d.add(e);
          bytes += value.length;
          to = e.classSeq();
        }
        it.status();
      } catch (RocksDBException | RuntimeException e) {
        LOG.error("[db: {}] [class: {}] downsample read from classSeq {} failed: {}", dbPath, p.label(), from,
            e.toString());
        return Long.MIN_VALUE;
      }
      int count = d.events();
      if (count == 0) {
        return Long.MIN_VALUE;
      }
      List<Downsampler.Summary> summaries = d.summaries();
      int k = summaries.size();
      long now = System.currentTimeMillis();
      List<byte[]> encoded = new ArrayList<>(k);
      long summaryBytes = 0;
      for (int i = 0; i < k; i++) {
        Downsampler.Summary s = summaries.get(i);
        byte[] env = EnvelopeCodec.encode(new Event(seqs[count - k + i], to - k + 1 + i, p, s.source(), s.topic(),
            null, s.eventTimeMs(), now, s.payload()));
        encoded.add(env);
        summaryBytes += env.length;
      }
      if (k >= count || bytes - summaryBytes < bytes / 2) {
        LOG.info("[db: {}] [class: {}] downsample of classSeq {}..{} would keep {} of {} events: evicting instead",
            dbPath, p.label(), from, to, k, count);
        return evictRange(p, want);
      }
      JsonObject entry = new JsonObject()
          .put("class", p.label())
          .put("fromClassSeq", from)
          .put("toClassSeq", to)
          .put("count", count)
          .put("bytes", bytes)
          .put("reason", "downsample")
          .put("summaries", k)
          .put("summaryClassSeqs", (to - k + 1) + ".." + to)
          .put("windowMs", windowMs)
          .put("at", Instant.ofEpochMilli(now).toString());
      Ledger ledger = new Ledger(entry, now);
      long keptFrom = to - k + 1;
      try (WriteBatch batch = new WriteBatch()) {
        batch.deleteRange(logCf, LogKeys.logKey(c, from), LogKeys.logKey(c, keptFrom));
        for (int i = 0; i < k; i++) {
          batch.put(logCf, LogKeys.logKey(c, keptFrom + i), encoded.get(i));
        }
        batch.put(metaCf, LogKeys.evicted(c), LogKeys.longValue(keptFrom - 1));
        batch.put(metaCf, LogKeys.bytesEvicted(c), LogKeys.longValue(space.bytesEvicted.get(c) + bytes));
        batch.put(metaCf, LogKeys.bytesAppended(c), LogKeys.longValue(space.bytesAppended.get(c) + summaryBytes));
        ledger.addTo(batch);
        db.write(syncWrite, batch);
      } catch (RocksDBException | RuntimeException e) {
        writeErrorsTotal.increment();
        LOG.error("[db: {}] [class: {}] downsample of classSeq {}..{} failed: {}", dbPath, p.label(), from, to,
            e.toString());
        return Long.MIN_VALUE;
      }
      ledger.written();
      space.readSpans.rewritten(c, to);
      space.evicted.set(c, keptFrom - 1);
      space.bytesEvicted.addAndGet(c, bytes);
      space.bytesAppended.addAndGet(c, summaryBytes);
      downsampledTotal[c].increment(count);
      summariesTotal[c].increment(k);
      LOG.warn("[db: {}] [class: {}] disk quota: downsampled classSeq {}..{} ({} events, {} bytes) into {} summary "
          + "events at classSeq {}..{}; loss ledger event seq {}", dbPath, p.label(), from, to, count, bytes, k,
          keptFrom, to, ledger.seq);
      return bytes - summaryBytes - ledger.event.length;
    }
  }

  /**
   * The critical loss-ledger event of one eviction or downsample: numbered at construction, added
   * to the range's WriteBatch by {@link #addTo}, and counted in memory by {@link #written} once that
   * batch is durable. Writer thread, under the space lock.
   */
  private final class Ledger {
    final long seq = nextSeq;
    final long classSeq = nextClassSeq[Priority.CRITICAL.code()];
    final JsonObject entry;
    final byte[] event;

    Ledger(JsonObject entry, long now) {
      this.entry = entry;
      this.event = EnvelopeCodec.encode(new Event(seq, classSeq, Priority.CRITICAL, LEDGER_SOURCE, LEDGER_TOPIC, null,
          now, now, entry.encode().getBytes(StandardCharsets.UTF_8), EventKind.EVENT, null));
    }

    void addTo(WriteBatch batch) throws RocksDBException {
      int crit = Priority.CRITICAL.code();
      batch.put(logCf, LogKeys.logKey(crit, classSeq), event);
      batch.put(metaCf, LogKeys.NEXT_SEQ, LogKeys.longValue(seq + 1));
      batch.put(metaCf, LogKeys.nextClassSeq(crit), LogKeys.longValue(classSeq + 1));
      batch.put(metaCf, LogKeys.bytesAppended(crit), LogKeys.longValue(space.bytesAppended.get(crit) + event.length));
    }

    void written() {
      int crit = Priority.CRITICAL.code();
      nextSeq = seq + 1;
      nextClassSeq[crit] = classSeq + 1;
      lastClassSeq.set(crit, classSeq);
      durableNextSeq = nextSeq;
      space.bytesAppended.addAndGet(crit, event.length);
      space.evictions.incrementAndGet();
      space.recordLedger(entry.copy().put("seq", seq));
    }
  }

  private void notifyListeners() {
    for (Runnable l : listeners) {
      try {
        l.run();
      } catch (RuntimeException e) {
        LOG.warn("[db: {}] a durable listener failed: {}", dbPath, e.toString());
      }
    }
  }

  private void commit(List<Pending> group, long bytes) {
    long seqBefore = nextSeq;
    long[] classBefore = nextClassSeq.clone();
    boolean[] touched = new boolean[LogKeys.CLASSES];
    long[] classBytes = new long[LogKeys.CLASSES];
    long start = System.nanoTime();
    int stored = 0;
    if (groupBatch == null) {
      groupBatch = new WriteBatch();
    }
    WriteBatch batch = groupBatch;
    try {
      batch.clear();
      if (dedup != null) {
        dedup.begin();
      }
      for (Pending p : group) {
        if (p.key != null) {
          DedupIndex.Check check = dedup.check(p.key);
          if (check.duplicate()) {
            // its original is durable already, or is in this very batch
            p.duplicate = true;
            p.seq = check.seq();
            continue;
          }
        }
        int c = p.classCode;
        long seq = nextSeq++;
        long classSeq = nextClassSeq[c]++;
        EnvelopeCodec.patchSequence(p.envelope, seq, classSeq);
        p.seq = seq;
        batch.put(logCf, LogKeys.logKey(c, classSeq), p.envelope);
        if (p.key != null) {
          dedup.stage(p.key, seq, (k, v) -> put(batch, dedupCf, k, v));
        }
        touched[c] = true;
        classBytes[c] += p.envelope.length;
        stored++;
      }
      if (stored > 0) {
        batch.put(metaCf, LogKeys.NEXT_SEQ, LogKeys.longValue(nextSeq));
        for (int c = 0; c < LogKeys.CLASSES; c++) {
          if (touched[c]) {
            batch.put(metaCf, LogKeys.nextClassSeq(c), LogKeys.longValue(nextClassSeq[c]));
            batch.put(metaCf, LogKeys.bytesAppended(c), LogKeys.longValue(space.bytesAppended.get(c) + classBytes[c]));
          }
        }
        db.write(syncWrite, batch);
      }
    } catch (RocksDBException | RuntimeException e) {
      // nothing of this group is durable: hand its numbers out again
      if (dedup != null) {
        dedup.aborted();
      }
      nextSeq = seqBefore;
      System.arraycopy(classBefore, 0, nextClassSeq, 0, classBefore.length);
      queuedBytes.addAndGet(-bytes);
      writeErrorsTotal.increment();
      writeError = e.getMessage() != null ? e.getMessage() : e.toString();
      EventLogException failure = new EventLogException(dbPath, "group commit of " + group.size() + " events", e);
      LOG.error("[db: {}] [seq: {}] group commit of {} events failed: {}", dbPath, seqBefore, group.size(),
          e.toString());
      complete(group, failure);
      return;
    } finally {
      if (batch.getDataSize() > KEEP_BATCH_BYTES) {
        batch.close();
        groupBatch = null;
      }
    }
    Runnable hook = afterGroupWrite;
    if (hook != null && stored > 0) {
      hook.run();
    }
    if (dedup != null) {
      dedup.committed();
    }
    if (writeError != null) {
      LOG.warn("[db: {}] [seq: {}] group commits succeed again (after: {})", dbPath, seqBefore, writeError);
      writeError = null;
    }
    commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    groupSize.record(group.size());
    appendsTotal.increment(stored);
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      if (touched[c]) {
        space.bytesAppended.addAndGet(c, classBytes[c]);
        lastClassSeq.set(c, nextClassSeq[c] - 1);
      }
    }
    durableNextSeq = nextSeq;
    queuedBytes.addAndGet(-bytes);
    complete(group, null);
    notifyListeners();
  }

  private void put(WriteBatch batch, ColumnFamilyHandle cf, byte[] key, byte[] value) {
    try {
      batch.put(cf, key, value);
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, "dedup put", e);
    }
  }

  /** Completes the group's futures, one task per context, in append order within each. */
  private static void complete(List<Pending> group, RuntimeException failure) {
    Map<Context, List<Pending>> byContext = new IdentityHashMap<>();
    for (Pending p : group) {
      byContext.computeIfAbsent(p.context, k -> new ArrayList<>()).add(p);
    }
    byContext.forEach((ctx, pendings) -> ctx.runOnContext(v -> {
      for (Pending p : pendings) {
        if (failure == null) {
          p.promise.complete(new AppendResult(p.seq, p.duplicate));
        } else {
          p.promise.fail(failure);
        }
      }
    }));
  }
}
