package io.edgesync.edge.dedup;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application-level dedup index of the edge log (docs/ARCHITECTURE-edge.md,
 * "Deduplication"). Keys live in the {@code dedup} column family as
 * {@code bucket start (8 bytes, big-endian ms) + DedupKey bytes}; the value is the stored
 * event's {@code seq} (8 bytes), preceded by the topic+payload fingerprint (8 bytes) for
 * packet-id keys. Time is cut into buckets of {@code window / 10}; a key goes into the
 * bucket of the group commit's time.
 *
 * <p>A check looks at the keys staged by the current group first, then at the buckets inside
 * the window, newest first: each bucket's in-memory {@link BloomFilter} answers "certainly
 * not here" without touching RocksDB; a "maybe" is confirmed with a point lookup. Whole
 * buckets older than the window are dropped with one {@code DeleteRange} and their filters
 * discarded. On open, expired buckets are dropped and the filters rebuilt by scanning the
 * rest.
 *
 * <p>Crash safety: {@link #stage} puts the key into the SAME {@code WriteBatch} as the event
 * it accounts for, so after any crash a stored event has its key and a key has its event.
 * The filters learn a key only after its batch is durable ({@link #committed}).
 *
 * <p>Threads: {@link #open} while the log opens; {@link #begin}, {@link #check},
 * {@link #stage}, {@link #committed}, {@link #aborted} and {@link #maintain} on the log
 * writer thread only. {@link #stats} and the gauges from any thread (volatile snapshots).
 * Time: {@code clockMs} (injectable); it is made monotonic here, so a clock stepping back
 * never files a key into an expired bucket.
 */
public final class DedupIndex {
  private static final Logger LOG = LoggerFactory.getLogger(DedupIndex.class);
  private static final int BUCKET_PREFIX = 8;

  /** What {@link #check} found: a duplicate (with the original's seq, -1 when unknown) or not. */
  public record Check(boolean duplicate, long seq) {
    static final Check NEW = new Check(false, -1);
  }

  /**
   * One time bucket's filters: a first one sized for {@code dedup.maxKeysPerBucket}, then, each
   * time the bucket holds as many keys as its filters were planned for, one twice as large as
   * the last (a scalable Bloom filter: the false-positive rate stays near the sum of the
   * segments' 1 % instead of climbing towards 100 % in an overfull filter), while the
   * {@code dedup.maxBloomBytes} budget allows.
   */
  private static final class Bucket {
    final long start;
    BloomFilter[] segments;
    long lastPlanned;
    long planned;
    long keys;

    Bucket(long start, BloomFilter first, long planned) {
      this.start = start;
      this.segments = new BloomFilter[] {first};
      this.lastPlanned = planned;
      this.planned = planned;
    }

    boolean mightContain(long hash) {
      for (BloomFilter f : segments) {
        if (f.mightContain(hash)) {
          return true;
        }
      }
      return false;
    }
  }

  private final DedupSettings settings;
  private final DedupStore store;
  private final LongSupplier clockMs;
  private final MeterRegistry registry;
  private final String name;
  private final long windowMs;
  private final long bucketMs;

  // writer thread
  private final TreeMap<Long, Bucket> buckets = new TreeMap<>();
  /** The buckets newest first (no iterator or view per check); rebuilt when a bucket comes or goes. */
  private Bucket[] newestFirst = new Bucket[0];
  private final StagedKeys staged = new StagedKeys();
  private long now = Long.MIN_VALUE;
  /** Heap of every live bucket's filters. */
  private long filterBytes;
  private boolean budgetWarned;
  private long groupBucket;

  // published for stats and gauges
  private volatile int bucketCount;
  private volatile long keyCount;
  private volatile long bloomBytes;

  private final Counter idHits;
  private final Counter dupHits;
  private final Counter bloomNegative;
  private final Counter confirmedNew;
  private final Counter confirmedDuplicate;
  private final List<Meter> gauges = new ArrayList<>();

  /**
   * @param name     the database path, for log lines
   * @param clockMs  wall-clock milliseconds (injected in tests)
   */
  public DedupIndex(DedupSettings settings, DedupStore store, LongSupplier clockMs, MeterRegistry registry,
      String name) {
    this.settings = settings;
    this.store = store;
    this.clockMs = clockMs;
    this.registry = registry;
    this.name = name;
    this.windowMs = settings.window().toMillis();
    this.bucketMs = settings.bucketMs();
    this.idHits = hits(registry, DedupKey.Kind.ID);
    this.dupHits = hits(registry, DedupKey.Kind.PACKET_ID);
    this.bloomNegative = lookups(registry, "bloom_negative");
    this.confirmedNew = lookups(registry, "confirmed_new");
    this.confirmedDuplicate = lookups(registry, "confirmed_duplicate");
  }

  /**
   * The counter {@code edge_dedup_hits_total{kind}}: duplicates acknowledged and not stored.
   * Shared with the MQTT packet-id memory, which counts its own catches as {@code dup}.
   */
  public static Counter hits(MeterRegistry registry, DedupKey.Kind kind) {
    return Counter.builder("edge.dedup.hits")
        .description("duplicates acknowledged and not stored (id: same source+id in the window; "
            + "dup: MQTT redelivery of a stored packet id)")
        .tag("kind", kind.label()).register(registry);
  }

  private static Counter lookups(MeterRegistry registry, String result) {
    return Counter.builder("edge.dedup.lookups")
        .description("dedup checks: bloom_negative (no RocksDB read), confirmed_new / confirmed_duplicate "
            + "(after a RocksDB point lookup or against the current group)")
        .tag("result", result).register(registry);
  }

  /** Drops expired buckets, rebuilds the Bloom filters of the live ones, registers gauges. Blocking. */
  public void open() {
    long started = System.nanoTime();
    advanceClock();
    store.deleteBelow(bucketPrefix(expiredThrough() + 1));
    long[] scanned = new long[2];
    store.scan((key, value) -> {
      if (key.length <= BUCKET_PREFIX) {
        return true; // not ours; never written by this layout
      }
      long start = ByteBuffer.wrap(key, 0, BUCKET_PREFIX).getLong();
      if (start <= expiredThrough()) {
        scanned[1]++;
        return true;
      }
      add(bucket(start), DedupHash.hash64(key, BUCKET_PREFIX, key.length - BUCKET_PREFIX));
      scanned[0]++;
      return true;
    });
    publish();
    gauges.add(Gauge.builder("edge.dedup.bloom.bytes", this, i -> i.bloomBytes)
        .description("heap held by the dedup Bloom filters (one per live bucket)").baseUnit("bytes")
        .register(registry));
    gauges.add(Gauge.builder("edge.dedup.buckets", this, i -> i.bucketCount)
        .description("live dedup time buckets (window / bucket width, plus the current one)").register(registry));
    gauges.add(Gauge.builder("edge.dedup.keys", this, i -> i.keyCount)
        .description("dedup keys in the live buckets").register(registry));
    LOG.info("[db: {}] dedup index open: window {} ms in buckets of {} ms; {} keys in {} live buckets rebuilt in {} ms",
        name, windowMs, bucketMs, scanned[0], bucketCount, (System.nanoTime() - started) / 1_000_000);
  }

  /** Starts a group commit: fixes the group's time and drops expired buckets. Writer thread. */
  public void begin() {
    staged.clear();
    advanceClock();
    groupBucket = Math.floorDiv(now, bucketMs) * bucketMs;
    dropExpired();
  }

  /** Idle work of the writer thread: drops expired buckets when their time has come. */
  public void maintain() {
    advanceClock();
    dropExpired();
  }

  /** Whether {@code key} duplicates a stored key in the window or one staged in this group. Writer thread. */
  public Check check(DedupKey key) {
    if (!key.checked()) {
      return Check.NEW;
    }
    DedupKey s = staged.get(key);
    if (s != null) {
      return decide(key, s.fingerprint(), staged.seq(key));
    }
    boolean probed = false;
    long expired = expiredThrough();
    long hash = key.hash();
    for (Bucket b : newestFirst) {
      if (b.start <= expired) {
        break;
      }
      if (!b.mightContain(hash)) {
        continue;
      }
      probed = true;
      byte[] value = store.get(storeKey(b.start, key.suffix()));
      if (value == null) {
        continue; // a Bloom false positive
      }
      ByteBuffer v = ByteBuffer.wrap(value);
      if (key.kind() == DedupKey.Kind.PACKET_ID) {
        // the newest entry of a packet id decides: a DUP=0 reuse replaced older ones
        return decide(key, v.getLong(), v.getLong());
      }
      return decide(key, 0, v.getLong());
    }
    (probed ? confirmedNew : bloomNegative).increment();
    return Check.NEW;
  }

  private Check decide(DedupKey key, long storedFingerprint, long seq) {
    if (key.kind() == DedupKey.Kind.PACKET_ID && storedFingerprint != key.fingerprint()) {
      confirmedNew.increment();
      return Check.NEW;
    }
    confirmedDuplicate.increment();
    (key.kind() == DedupKey.Kind.ID ? idHits : dupHits).increment();
    return new Check(true, seq);
  }

  /**
   * Puts {@code key → seq} into the group's batch through {@code put} (the writer's
   * {@code WriteBatch} on the {@code dedup} column family). Writer thread.
   */
  public void stage(DedupKey key, long seq, BiConsumer<byte[], byte[]> put) {
    ByteBuffer value = ByteBuffer.allocate(key.kind() == DedupKey.Kind.PACKET_ID ? 16 : 8);
    if (key.kind() == DedupKey.Kind.PACKET_ID) {
      value.putLong(key.fingerprint());
    }
    value.putLong(seq);
    put.accept(storeKey(groupBucket, key.suffix()), value.array());
    staged.put(key, seq);
  }

  /** The group's batch is durable: its keys join the current bucket's filter. Writer thread. */
  public void committed() {
    if (staged.size() > 0) {
      Bucket b = bucket(groupBucket);
      for (int i = 0; i < staged.size(); i++) {
        add(b, staged.hashAt(i));
      }
      staged.clear();
      publish();
    }
  }

  /** The group's batch failed: nothing of it is stored, forget what it staged. Writer thread. */
  public void aborted() {
    staged.clear();
  }

  /** Non-blocking snapshot for {@code /status}. */
  public DedupStats stats() {
    return new DedupStats(true, settings.window(), bucketMs, bucketCount, keyCount, bloomBytes,
        (long) idHits.count(), (long) dupHits.count());
  }

  /** Removes the gauges (the counters stay: they are shared and monotonic). */
  public void close() {
    gauges.forEach(registry::remove);
    gauges.clear();
  }

  // ---------------------------------------------------------------- internals

  private void advanceClock() {
    now = Math.max(now, clockMs.getAsLong());
  }

  /** Buckets starting at or before this hold only keys older than the window. */
  private long expiredThrough() {
    return now - windowMs - bucketMs;
  }

  private void dropExpired() {
    if (buckets.isEmpty() || buckets.firstKey() > expiredThrough()) {
      return;
    }
    long through = expiredThrough();
    try {
      store.deleteBelow(bucketPrefix(through + 1));
    } catch (RuntimeException e) {
      // lookups ignore expired buckets anyway; the next group (or the next open) retries
      LOG.warn("[db: {}] dropping expired dedup buckets failed: {}", name, e.toString());
      return;
    }
    for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
      Bucket gone = it.next();
      if (gone.start > through) {
        break;
      }
      for (BloomFilter f : gone.segments) {
        filterBytes -= f.byteSize();
      }
      it.remove();
    }
    reindex();
    publish();
  }

  private Bucket bucket(long start) {
    Bucket b = buckets.get(start);
    if (b == null) {
      BloomFilter first = BloomFilter.forKeys(settings.maxKeysPerBucket(), DedupSettings.BLOOM_FPP);
      filterBytes += first.byteSize();
      b = new Bucket(start, first, settings.maxKeysPerBucket());
      buckets.put(start, b);
      reindex();
    }
    return b;
  }

  /** Adds a key's hash to {@code b}, growing its filters when it is full and the budget allows. */
  private void add(Bucket b, long hash) {
    if (b.keys >= b.planned) {
      grow(b);
    }
    b.segments[b.segments.length - 1].put(hash);
    b.keys++;
  }

  private void grow(Bucket b) {
    long next = Math.min(Integer.MAX_VALUE / 2, b.lastPlanned * 2);
    BloomFilter f = null;
    if (filterBytes + BloomFilter.bytesFor(next, DedupSettings.BLOOM_FPP) <= settings.maxBloomBytes()) {
      f = BloomFilter.forKeys((int) next, DedupSettings.BLOOM_FPP);
    }
    if (f == null) {
      // over budget: the last filter takes the rest of this bucket (false positives rise, answers stay exact)
      b.planned = Long.MAX_VALUE;
      if (!budgetWarned) {
        budgetWarned = true;
        LOG.warn("[db: {}] dedup Bloom filters at dedup.maxBloomBytes ({} bytes) with {} keys in the window: "
            + "more checks need a RocksDB lookup (edge_dedup_lookups_total{{result=\"confirmed_new\"}})", name,
            settings.maxBloomBytes(), keyCount);
      }
      return;
    }
    b.segments = Arrays.copyOf(b.segments, b.segments.length + 1);
    b.segments[b.segments.length - 1] = f;
    b.lastPlanned = next;
    b.planned += next;
    filterBytes += f.byteSize();
  }

  private void reindex() {
    newestFirst = buckets.descendingMap().values().toArray(new Bucket[0]);
  }

  private void publish() {
    long keys = 0;
    for (Bucket b : buckets.values()) {
      keys += b.keys;
    }
    bloomBytes = filterBytes;
    keyCount = keys;
    bucketCount = buckets.size();
  }

  private static byte[] bucketPrefix(long start) {
    return ByteBuffer.allocate(BUCKET_PREFIX).putLong(Math.max(0, start)).array();
  }

  private static byte[] storeKey(long bucketStart, byte[] suffix) {
    return ByteBuffer.allocate(BUCKET_PREFIX + suffix.length).putLong(bucketStart).put(suffix).array();
  }
}
