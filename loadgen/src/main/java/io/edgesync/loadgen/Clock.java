package io.edgesync.loadgen;

/** Wall-clock microseconds with nanoTime resolution, consistent inside one JVM. */
final class Clock {
  private static final long BASE_NANOS = System.nanoTime();
  private static final long BASE_EPOCH_MICROS = System.currentTimeMillis() * 1000L;

  private Clock() {}

  static long micros() {
    return BASE_EPOCH_MICROS + (System.nanoTime() - BASE_NANOS) / 1000L;
  }
}
