package io.edgesync.edge.log;

import java.util.Locale;

/**
 * What a priority class does when the log reaches its disk quota ({@code streams.<class>.overflow},
 * docs/ARCHITECTURE-edge.md "Disk quota").
 */
public enum OverflowPolicy {
  /** The class's events are never evicted: at the quota appends wait (PUBACK withheld, sockets paused). */
  BACKPRESSURE("backpressure"),
  /** The class's oldest unreleased events are evicted, in whole ranges, to make room (loss ledger entry each). */
  DROP_OLDEST("drop-oldest");

  private final String label;

  OverflowPolicy(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /**
   * Parses {@code backpressure} or {@code drop-oldest}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static OverflowPolicy parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    for (OverflowPolicy p : values()) {
      if (p.label.equals(v)) {
        return p;
      }
    }
    if (v.startsWith("downsample")) {
      throw new IllegalArgumentException("downsample is not supported yet (use backpressure or drop-oldest)");
    }
    throw new IllegalArgumentException("must be backpressure or drop-oldest (got " + s + ")");
  }
}
