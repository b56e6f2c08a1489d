package io.edgesync.edge.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.Test;

class DedupIndexGrowthTest {

  /** The dedup column family in memory, byte-wise ordered like RocksDB's default comparator. */
  private static final class MemoryStore implements DedupStore {
    final TreeMap<byte[], byte[]> map = new TreeMap<>(Arrays::compareUnsigned);
    int gets;

    @Override
    public byte[] get(byte[] key) {
      gets++;
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

  private static DedupIndex fill(MemoryStore store, long maxBloomBytes, int keys) {
    DedupIndex index = new DedupIndex(new DedupSettings(true, Duration.ofMinutes(10), 1_000, maxBloomBytes), store,
        () -> 1_763_776_800_000L, new SimpleMeterRegistry(), "test");
    index.open();
    for (int g = 0; g < keys / 500; g++) {
      index.begin();
      for (int k = 0; k < 500; k++) {
        DedupKey key = DedupKey.explicitId("dev-" + (k % 3), "m-" + (g * 500 + k));
        assertFalse(index.check(key).duplicate());
        index.stage(key, g * 500L + k + 1, store.map::put);
      }
      index.committed();
    }
    return index;
  }

  /** Store lookups needed by {@code n} checks of keys never stored (each one a Bloom false positive). */
  private static int lookupsForNewKeys(DedupIndex index, MemoryStore store, int n) {
    int before = store.gets;
    index.begin();
    for (int i = 0; i < n; i++) {
      assertFalse(index.check(DedupKey.explicitId("other", "x-" + i)).duplicate());
    }
    return store.gets - before;
  }

  @Test
  void aBucketFilledFarBeyondItsPlanGrowsItsFiltersAndKeepsFalsePositivesLow() {
    // GIVEN filters planned for 1,000 keys per bucket WHEN one bucket takes 40,000 keys
    MemoryStore store = new MemoryStore();
    DedupIndex index = fill(store, DedupSettings.DEFAULT_MAX_BLOOM_BYTES, 40_000);

    // THEN every stored key is still found, and new keys rarely need a store lookup
    for (int i = 0; i < 40_000; i += 7) {
      assertTrue(index.check(DedupKey.explicitId("dev-" + (i % 500 % 3), "m-" + i)).duplicate(), "m-" + i);
    }
    int lookups = lookupsForNewKeys(index, store, 20_000);
    System.out.printf("DedupIndexGrowthTest: 40x the planned keys, %d of 20000 new keys needed a lookup, "
        + "filters %d bytes%n", lookups, index.stats().bloomBytes());
    assertTrue(lookups < 20_000 * 0.08, lookups + " lookups");
    assertTrue(index.stats().bloomBytes() > 40 * BloomFilter.bytesFor(1_000, DedupSettings.BLOOM_FPP) / 2);
    assertEquals(40_000, index.stats().keys());
  }

  @Test
  void atTheBloomBudgetTheFiltersStopGrowingAndAnswersStayExact() {
    // GIVEN a budget of about two first-size filters WHEN one bucket takes 40,000 keys
    MemoryStore store = new MemoryStore();
    long budget = 2 * BloomFilter.bytesFor(1_000, DedupSettings.BLOOM_FPP);
    DedupIndex index = fill(store, budget, 40_000);

    // THEN the filters stay within the budget
    assertTrue(index.stats().bloomBytes() <= budget, index.stats().bloomBytes() + " > " + budget);
    // AND answers are exact: stored keys are duplicates, new ones new (most need a lookup now)
    for (int i = 0; i < 40_000; i += 11) {
      assertTrue(index.check(DedupKey.explicitId("dev-" + (i % 500 % 3), "m-" + i)).duplicate(), "m-" + i);
    }
    int lookups = lookupsForNewKeys(index, store, 2_000);
    System.out.printf("DedupIndexGrowthTest: at the budget, %d of 2000 new keys needed a lookup%n", lookups);
    assertTrue(lookups > 2_000 / 2, lookups + " lookups");
  }
}
