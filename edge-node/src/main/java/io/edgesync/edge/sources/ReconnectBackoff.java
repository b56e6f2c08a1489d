package io.edgesync.edge.sources;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential reconnect backoff with equal jitter: each delay is uniform in
 * {@code [b/2, b]}, and {@code b} doubles from {@code initial} up to {@code max}; a working
 * connection resets it. Confined to the owning source's context.
 */
final class ReconnectBackoff {
  private final long initialMs;
  private final long maxMs;
  private long backoffMs;

  ReconnectBackoff(Duration initial, Duration max) {
    this.initialMs = initial.toMillis();
    this.maxMs = max.toMillis();
    this.backoffMs = initialMs;
  }

  /** The delay before the next attempt, in ms; doubles the next one. */
  long nextDelayMs() {
    long half = Math.max(1, backoffMs / 2);
    long delay = half + ThreadLocalRandom.current().nextLong(half + 1);
    backoffMs = Math.min(maxMs, backoffMs * 2);
    return delay;
  }

  /** A working connection starts the next outage from {@code initial} again. */
  void reset() {
    backoffMs = initialMs;
  }
}
