package io.edgesync.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PercentilesTest {
  @Test
  void nearestRankOnOneToHundred() {
    long[] a = new long[120];
    for (int i = 0; i < 100; i++) {
      a[i] = 100 - i; // unsorted: 100 .. 1
    }
    Percentiles p = new Percentiles(a, 100); // the 20 trailing zeros are not samples
    assertEquals(100, p.count());
    assertEquals(50, p.at(0.50));
    assertEquals(95, p.at(0.95));
    assertEquals(99, p.at(0.99));
    assertEquals(100, p.at(0.999));
    assertEquals(1, p.at(0.001));
    assertEquals(100, p.max());
  }

  @Test
  void smallAndEmpty() {
    assertEquals(7, new Percentiles(new long[] {7}, 1).at(0.5));
    assertEquals(-1, new Percentiles(new long[4], 0).at(0.99));
    assertEquals("n/a", new Percentiles(new long[4], 0).ms(0.99));
    assertEquals("1.50", new Percentiles(new long[] {1_500_000}, 1).ms(0.99));
    // ceil(0.999 * 1000) = 999: the 999th of 1000 values
    long[] k = new long[1000];
    for (int i = 0; i < k.length; i++) {
      k[i] = i + 1;
    }
    assertEquals(999, new Percentiles(k, 1000).at(0.999));
    assertEquals(990, new Percentiles(k, 1000).at(0.99));
    assertThrows(IllegalArgumentException.class, () -> new Percentiles(k, 1000).at(0));
    assertThrows(IllegalArgumentException.class, () -> new Percentiles(k, 1001));
  }

  @Test
  void longRunsAreSampledWithinABound() {
    assertEquals(1, Percentiles.stride(1_000_000));
    assertEquals(1, Percentiles.stride(Percentiles.MAX_SAMPLES));
    assertEquals(2, Percentiles.stride(Percentiles.MAX_SAMPLES + 1L));
    int stride = Percentiles.stride(15_368_400); // a 600 s soak at 25,614 msg/s
    assertEquals(8, stride);
    int slots = Percentiles.slots(15_368_400, stride);
    assertEquals(1_921_050, slots);
    assertEquals(true, slots <= Percentiles.MAX_SAMPLES);
    assertEquals(3, Percentiles.slots(5, 2)); // samples 0, 2 and 4
  }
}
