package io.edgesync.benchmarks;

import io.edgesync.edge.dedup.DedupIndex;
import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.dedup.DedupSettings;
import io.edgesync.edge.dedup.DedupStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiPredicate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link DedupIndex#check} as the log writer calls it once per keyed append, against a full
 * window: 10 live one-minute buckets (window 10 min, default 500,000-key Bloom filters of
 * ~600 KB each) holding 100,000 keys each, i.e. 1M stored keys, in an in-memory
 * {@link DedupStore} (so a confirming point lookup costs a TreeMap lookup here, a RocksDB
 * {@code get} in the product).
 *
 * <ul>
 *   <li>{@code checkNew}: a key never seen (the common case): every bucket's Bloom filter must
 *       say "no"; a false positive costs a store lookup</li>
 *   <li>{@code checkDuplicate}: a stored key: Bloom "maybe" in its bucket, store lookup, hit</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar DedupLookup}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class DedupLookupBenchmark {
  private static final int BUCKETS = 10;
  private static final int KEYS_PER_BUCKET = 100_000;
  private static final int PROBES = 1 << 16;

  private DedupIndex index;
  private DedupKey[] fresh;
  private DedupKey[] stored;
  private int i;

  /** The dedup column family in memory: byte-wise ordered, like RocksDB's default comparator. */
  private static final class MemoryStore implements DedupStore {
    final TreeMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);

    @Override
    public byte[] get(byte[] key) {
      return map.get(key);
    }

    @Override
    public void scan(BiPredicate<byte[], byte[]> visitor) {
      for (Map.Entry<byte[], byte[]> e : map.entrySet()) {
        if (!visitor.test(e.getKey(), e.getValue())) {
          return;
        }
      }
    }

    @Override
    public void deleteBelow(byte[] endKey) {
      map.headMap(endKey).clear();
    }
  }

  @Setup
  public void setup() {
    MemoryStore store = new MemoryStore();
    AtomicLong clock = new AtomicLong(1_763_776_800_000L);
    index = new DedupIndex(new DedupSettings(true, Duration.ofMinutes(10), DedupSettings.DEFAULT_MAX_KEYS_PER_BUCKET),
        store, clock::get, new SimpleMeterRegistry(), "jmh");
    index.open();
    stored = new DedupKey[PROBES];
    for (int b = 0; b < BUCKETS; b++) {
      index.begin();
      for (int k = 0; k < KEYS_PER_BUCKET; k++) {
        DedupKey key = DedupKey.explicitId("loadgen-c" + (k % 8), "run1-b" + b + "-" + k);
        index.stage(key, (long) b * KEYS_PER_BUCKET + k, store.map::put);
        if ((b * KEYS_PER_BUCKET + k) % (BUCKETS * KEYS_PER_BUCKET / PROBES) == 0
            && (b * KEYS_PER_BUCKET + k) / (BUCKETS * KEYS_PER_BUCKET / PROBES) < PROBES) {
          stored[(b * KEYS_PER_BUCKET + k) / (BUCKETS * KEYS_PER_BUCKET / PROBES)] = key;
        }
      }
      index.committed();
      clock.addAndGet(Duration.ofMinutes(1).toMillis());
    }
    index.begin(); // a fresh group in the current bucket: checks look at the 10 filled ones
    fresh = new DedupKey[PROBES];
    for (int k = 0; k < PROBES; k++) {
      fresh[k] = DedupKey.explicitId("loadgen-c" + (k % 8), "run2-" + k);
    }
  }

  @Benchmark
  public DedupIndex.Check checkNew() {
    return index.check(fresh[i++ & (PROBES - 1)]);
  }

  @Benchmark
  public DedupIndex.Check checkDuplicate() {
    return index.check(stored[i++ & (PROBES - 1)]);
  }
}
