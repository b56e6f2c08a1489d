package io.edgesync.edge.log;

import java.util.Locale;
import java.util.Objects;

/**
 * What a priority class does when the log reaches its disk quota ({@code streams.<class>.overflow},
 * docs/ARCHITECTURE-edge.md "Disk quota"): {@link #BACKPRESSURE}, {@link #DROP_OLDEST} or
 * {@code downsample:<seconds>} ({@link #downsample}). Immutable; the two plain policies are
 * singletons, so {@code ==} compares them.
 */
public final class OverflowPolicy {
  /** The kind of policy. */
  public enum Kind { BACKPRESSURE, DROP_OLDEST, DOWNSAMPLE }

  /** The class's events are never evicted: at the quota appends wait (PUBACK withheld, sockets paused). */
  public static final OverflowPolicy BACKPRESSURE = new OverflowPolicy(Kind.BACKPRESSURE, 0);
  /** The class's oldest unreleased events are evicted, in whole ranges, to make room (loss ledger entry each). */
  public static final OverflowPolicy DROP_OLDEST = new OverflowPolicy(Kind.DROP_OLDEST, 0);

  /** Longest downsample window: one day. */
  static final long MAX_WINDOW_SECONDS = 86_400;

  private final Kind kind;
  private final long windowSeconds;

  private OverflowPolicy(Kind kind, long windowSeconds) {
    this.kind = kind;
    this.windowSeconds = windowSeconds;
  }

  /**
   * The class's oldest unreleased events are compacted, in whole ranges, into one summary event
   * per source and {@code windowSeconds} of event time (loss ledger entry each); when that would
   * not free enough (nearly every event its own group), the range is evicted instead.
   */
  public static OverflowPolicy downsample(long windowSeconds) {
    if (windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
      throw new IllegalArgumentException("the downsample window must be 1.." + MAX_WINDOW_SECONDS
          + " seconds (got " + windowSeconds + ")");
    }
    return new OverflowPolicy(Kind.DOWNSAMPLE, windowSeconds);
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the class gives up (or thins) old events at the quota rather than waiting. */
  public boolean evictable() {
    return kind != Kind.BACKPRESSURE;
  }

  /** The downsample window in ms; 0 for the other kinds. */
  public long windowMs() {
    return windowSeconds * 1000;
  }

  /** As written in the config: {@code backpressure}, {@code drop-oldest}, {@code downsample:60}. */
  public String label() {
    return switch (kind) {
      case BACKPRESSURE -> "backpressure";
      case DROP_OLDEST -> "drop-oldest";
      case DOWNSAMPLE -> "downsample:" + windowSeconds;
    };
  }

  /**
   * Parses {@code backpressure}, {@code drop-oldest} or {@code downsample:<seconds>}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static OverflowPolicy parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (v.equals("backpressure")) {
      return BACKPRESSURE;
    }
    if (v.equals("drop-oldest")) {
      return DROP_OLDEST;
    }
    if (v.startsWith("downsample")) {
      String n = v.substring("downsample".length());
      if (!n.startsWith(":")) {
        throw new IllegalArgumentException("downsample needs its window in seconds, e.g. downsample:60 (got " + s + ")");
      }
      try {
        return downsample(Long.parseLong(n.substring(1).trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("downsample needs its window in seconds, e.g. downsample:60 (got " + s + ")");
      }
    }
    throw new IllegalArgumentException("must be backpressure, drop-oldest or downsample:<seconds> (got " + s + ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OverflowPolicy p && p.kind == kind && p.windowSeconds == windowSeconds;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, windowSeconds);
  }

  @Override
  public String toString() {
    return label();
  }
}
