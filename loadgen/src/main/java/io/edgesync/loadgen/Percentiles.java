package io.edgesync.loadgen;

import java.util.Arrays;

/**
 * Latency percentiles without a histogram: the samples (nanoseconds) are recorded into a
 * preallocated {@code long[]} and sorted once at the end. Nearest-rank definition: the
 * p-th percentile of n sorted samples is the sample at rank {@code ceil(p * n)} (1-based).
 */
public final class Percentiles {
  /**
   * At most this many samples are kept per measured figure (16 MB of {@code long}s): beyond it
   * every {@link #stride}-th sample is recorded, evenly over the run, so a long soak stays within
   * the load generator's heap.
   */
  public static final int MAX_SAMPLES = 2_000_000;
  private final long[] sorted;

  /** Record every n-th of {@code expected} samples, n = this: 1 up to {@link #MAX_SAMPLES}. */
  public static int stride(long expected) {
    return (int) Math.max(1, (expected + MAX_SAMPLES - 1) / MAX_SAMPLES);
  }

  /** Slots needed to record every {@code stride}-th of {@code expected} samples. */
  public static int slots(long expected, int stride) {
    return (int) ((expected + stride - 1) / stride);
  }

  /** Sorts a copy of the first {@code n} samples of {@code samples}. */
  public Percentiles(long[] samples, int n) {
    if (n < 0 || n > samples.length) {
      throw new IllegalArgumentException("n must be in [0, " + samples.length + "] (got " + n + ")");
    }
    sorted = Arrays.copyOf(samples, n);
    Arrays.sort(sorted);
  }

  public int count() {
    return sorted.length;
  }

  /** The nearest-rank percentile, {@code p} in (0, 1]; -1 when there is no sample. */
  public long at(double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("p must be in (0, 1] (got " + p + ")");
    }
    if (sorted.length == 0) {
      return -1;
    }
    // the epsilon keeps 0.999 * 1000 (= 999.0000000000001 in binary) at rank 999
    int rank = (int) Math.ceil(p * sorted.length - 1e-9);
    return sorted[Math.max(rank, 1) - 1];
  }

  public long max() {
    return sorted.length == 0 ? -1 : sorted[sorted.length - 1];
  }

  /** {@code at(p)} in milliseconds with two decimals, "n/a" when there is no sample. */
  public String ms(double p) {
    long v = at(p);
    return v < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", v / 1e6);
  }
}
