package io.edgesync.edge.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30), new SplittableRandom(42));

  @Test
  void ceilingDoublesFromTheInitialDelayUpToTheMaximum() {
    assertEquals(200, backoff.ceilingMs(0));
    assertEquals(400, backoff.ceilingMs(1));
    assertEquals(25_600, backoff.ceilingMs(7));
    assertEquals(30_000, backoff.ceilingMs(8));
    assertEquals(30_000, backoff.ceilingMs(63));
    assertEquals(30_000, backoff.ceilingMs(Integer.MAX_VALUE));
  }

  @Test
  void delaysAreFullyJitteredBelowTheCeiling() {
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long d = backoff.delayMs(3);
      assertTrue(d >= 0 && d <= 1_600, "delay " + d);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    // full jitter spreads over the whole range, not just near the ceiling
    assertTrue(min < 50, "min " + min);
    assertTrue(max > 1_550, "max " + max);
  }

  @Test
  void aMaximumBelowTheInitialDelayIsRaisedToIt() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofMillis(100), new SplittableRandom(1));
    assertEquals(500, b.ceilingMs(0));
    assertEquals(500, b.maxMs());
  }
}
