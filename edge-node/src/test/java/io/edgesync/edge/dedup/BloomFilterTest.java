package io.edgesync.edge.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BloomFilterTest {
  /** DedupHash of "dev-7\0m-123", fixed when the function was written. */
  private static final long GOLDEN = 0x83b243e1c37be762L;

  private static long h(String s) {
    return DedupHash.hash64(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void everyAddedKeyIsFoundAndTheFalsePositiveRateIsNearTheTarget() {
    // GIVEN a filter sized for 100,000 keys at 1 %
    BloomFilter f = BloomFilter.forKeys(100_000, 0.01);
    assertEquals(7, f.hashCount());
    assertTrue(f.byteSize() <= 100_000 * 10 / 8 + 64, "about 9.6 bits per key, got " + f.byteSize() + " bytes");

    // WHEN 100,000 keys are added
    for (int i = 0; i < 100_000; i++) {
      f.put(h("dev-" + (i % 7) + "/m-" + i));
    }

    // THEN none is missed (no false negatives)
    for (int i = 0; i < 100_000; i++) {
      assertTrue(f.mightContain(h("dev-" + (i % 7) + "/m-" + i)), "key " + i);
    }
    // AND about 1 % of 100,000 other keys are false positives
    int fp = 0;
    for (int i = 0; i < 100_000; i++) {
      if (f.mightContain(h("other/" + i))) {
        fp++;
      }
    }
    double rate = fp / 100_000.0;
    System.out.printf("BloomFilterTest: false-positive rate %.4f at the design load%n", rate);
    assertTrue(rate < 0.02, "false-positive rate " + rate);
  }

  @Test
  void anOverfullFilterStillHasNoFalseNegatives() {
    // GIVEN a filter sized for 1,000 keys WHEN 20,000 are added
    BloomFilter f = BloomFilter.forKeys(1_000, 0.01);
    for (int i = 0; i < 20_000; i++) {
      f.put(h("k" + i));
    }
    // THEN every one is still found (only the false-positive rate suffers)
    for (int i = 0; i < 20_000; i++) {
      assertTrue(f.mightContain(h("k" + i)));
    }
  }

  @Test
  void theHashIsStableAndSpreads() {
    // the payload fingerprint is stored in RocksDB: the function must never change
    assertEquals(DedupHash.hash64("abc".getBytes(StandardCharsets.UTF_8)),
        DedupHash.hash64("xabc".getBytes(StandardCharsets.UTF_8), 1, 3));
    assertEquals(GOLDEN, DedupHash.hash64("dev-7\u0000m-123".getBytes(StandardCharsets.UTF_8)));
    Set<Long> seen = new HashSet<>();
    for (int len = 0; len < 40; len++) {
      byte[] b = new byte[len];
      assertTrue(seen.add(DedupHash.hash64(b)), "zero-filled arrays of different lengths differ");
    }
    assertNotEquals(h("dev-1\u0000m-1"), h("dev-1\u0000m-2"));
  }
}
