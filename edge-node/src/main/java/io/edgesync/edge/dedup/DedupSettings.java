package io.edgesync.edge.dedup;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the application-level dedup index (keys {@code dedup.*},
 * docs/CONFIG-edge.md).
 *
 * @param enabled          whether appends carrying a {@link DedupKey} are checked at all
 * @param window           how long a stored key keeps catching duplicates (at least this
 *                         long, at most one bucket width more)
 * @param maxKeysPerBucket keys per time bucket its first Bloom filter is sized for (1 % false
 *                         positives); a bucket that fills it gets another filter twice as large,
 *                         and so on while {@code maxBloomBytes} allows
 * @param maxBloomBytes    heap all the filters may take together; beyond it a full bucket keeps
 *                         its last filter and that filter's false-positive rate rises (more
 *                         RocksDB lookups), answers stay exact
 */
public record DedupSettings(boolean enabled, Duration window, int maxKeysPerBucket, long maxBloomBytes) {
  /** Buckets per window: the window is covered by this many buckets (plus the current one). */
  public static final int BUCKETS_PER_WINDOW = 10;
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(10);
  public static final int DEFAULT_MAX_KEYS_PER_BUCKET = 500_000;
  /** False-positive rate each bucket's filter is sized for. */
  public static final double BLOOM_FPP = 0.01;
  /** Default heap for all the filters together: 24 MiB (~20M keys in the window). */
  public static final long DEFAULT_MAX_BLOOM_BYTES = 24L * 1024 * 1024;

  public DedupSettings {
    Objects.requireNonNull(window, "window");
    if (window.toMillis() < 1) {
      throw new IllegalArgumentException("the dedup window must be >= 1 ms");
    }
    if (maxKeysPerBucket < 1) {
      throw new IllegalArgumentException("maxKeysPerBucket must be >= 1");
    }
    if (maxBloomBytes < 0) {
      throw new IllegalArgumentException("maxBloomBytes must be >= 0");
    }
  }

  /** With the default filter budget ({@link #DEFAULT_MAX_BLOOM_BYTES}). */
  public DedupSettings(boolean enabled, Duration window, int maxKeysPerBucket) {
    this(enabled, window, maxKeysPerBucket, DEFAULT_MAX_BLOOM_BYTES);
  }

  /** Enabled, 10 minutes, 500,000 keys per bucket. */
  public static DedupSettings defaults() {
    return new DedupSettings(true, DEFAULT_WINDOW, DEFAULT_MAX_KEYS_PER_BUCKET);
  }

  public static DedupSettings disabled() {
    return new DedupSettings(false, DEFAULT_WINDOW, DEFAULT_MAX_KEYS_PER_BUCKET);
  }

  /** Width of one time bucket: window / {@value #BUCKETS_PER_WINDOW}, at least 1 ms. */
  public long bucketMs() {
    return Math.max(1, window.toMillis() / BUCKETS_PER_WINDOW);
  }
}
