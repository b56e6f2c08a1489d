package io.edgesync.edge.mqtt;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Lets through at most one warning per period and counts the ones it held back, so that a
 * flood (a full log, a misbehaving fleet) cannot flood the log file. Thread-safe.
 */
final class RateLimitedLog {
  private final Logger log;
  private final long periodNanos;
  private final LongSupplier nanoClock;
  private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  RateLimitedLog(Logger log, long period, TimeUnit unit, LongSupplier nanoClock) {
    this.log = log;
    this.periodNanos = unit.toNanos(period);
    this.nanoClock = nanoClock;
  }

  /** Logs {@code format} at warn unless one was logged within the period. */
  void warn(String format, Object... args) {
    long now = nanoClock.getAsLong();
    long next = nextAllowed.get();
    if ((next != Long.MIN_VALUE && now - next < 0) || !nextAllowed.compareAndSet(next, now + periodNanos)) {
      suppressed.incrementAndGet();
      return;
    }
    long held = suppressed.getAndSet(0);
    if (held > 0) {
      log.warn(format + " ({} similar warnings suppressed)", append(args, held));
    } else {
      log.warn(format, args);
    }
  }

  private static Object[] append(Object[] args, long held) {
    Object[] out = java.util.Arrays.copyOf(args, args.length + 1);
    out[args.length] = held;
    return out;
  }
}
