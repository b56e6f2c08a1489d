package io.edgesync.edge.sources;

import io.edgesync.config.Settings;
import io.edgesync.model.Priority;
import java.time.Duration;

/** The keys every source ({@code feed.<name>.*}, {@code bridge.<name>.*}) shares, read one way. */
final class SourceKeys {
  static final Duration DEFAULT_RECONNECT_INITIAL = Duration.ofMillis(200);
  static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(30);

  /** Reconnect backoff bounds: {@code initial <= max}. */
  record Reconnect(Duration initial, Duration max) {}

  private SourceKeys() {}

  /** {@code <prefix>priority}: critical | normal | bulk, default normal. */
  static Priority priority(Settings s, String prefix) {
    try {
      return Priority.parse(s.string(prefix + "priority", "normal"));
    } catch (IllegalArgumentException e) {
      throw s.fail(prefix + "priority", e.getMessage());
    }
  }

  /** {@code <prefix>reconnectInitialMs} and {@code <prefix>reconnectMaxMs}. */
  static Reconnect reconnect(Settings s, String prefix) {
    long initial = s.longValue(prefix + "reconnectInitialMs", DEFAULT_RECONNECT_INITIAL.toMillis(), 1, 600_000);
    long max = s.longValue(prefix + "reconnectMaxMs", DEFAULT_RECONNECT_MAX.toMillis(), 1, 3_600_000);
    if (max < initial) {
      throw s.fail(prefix + "reconnectMaxMs", "must be >= " + prefix + "reconnectInitialMs (" + initial + ") (got "
          + max + ")");
    }
    return new Reconnect(Duration.ofMillis(initial), Duration.ofMillis(max));
  }
}
