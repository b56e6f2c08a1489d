package io.edgesync.edge.forward;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the n-th consecutive failure (counting from 0)
 * waits a uniformly random time in {@code [0, min(max, initial * 2^n)]}. Full jitter spreads
 * a fleet of nodes that lost the cloud at the same moment, so they do not all come back in
 * the same millisecond.
 *
 * <p>Stateless apart from the random source; thread-safety is that of the generator.
 */
final class Backoff {
  private final long initialMs;
  private final long maxMs;
  private final RandomGenerator random;

  Backoff(Duration initial, Duration max, RandomGenerator random) {
    this.initialMs = Math.max(1, initial.toMillis());
    this.maxMs = Math.max(this.initialMs, max.toMillis());
    this.random = random;
  }

  /** The ceiling before jitter for the {@code failures}-th consecutive failure (0-based), in ms. */
  long ceilingMs(int failures) {
    // past 2^62 the shift overflows; the ceiling is reached long before that
    int shift = Math.min(Math.max(failures, 0), 62);
    long ceiling = initialMs << shift;
    return ceiling <= 0 || ceiling > maxMs || (ceiling >> shift) != initialMs ? maxMs : ceiling;
  }

  /** A delay in ms for the {@code failures}-th consecutive failure (0-based): uniform in [0, ceiling]. */
  long delayMs(int failures) {
    return random.nextLong(ceilingMs(failures) + 1);
  }

  long maxMs() {
    return maxMs;
  }
}
