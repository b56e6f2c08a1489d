package io.edgesync.model;

import java.util.Locale;

/**
 * Priority class of an event. The forwarder drains classes in this order, so a bulk
 * backlog never delays a critical event. The code is the byte used in the envelope,
 * the batch frame and the RocksDB log key; never renumber.
 */
public enum Priority {
  CRITICAL(0), NORMAL(1), BULK(2);

  private static final Priority[] BY_CODE = {CRITICAL, NORMAL, BULK};

  private final int code;

  Priority(int code) {
    this.code = code;
  }

  /** The wire and key byte of this class. */
  public int code() {
    return code;
  }

  /** The lower-case name used in config, JSON and metrics tags. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException for a code that names no class */
  public static Priority fromCode(int code) {
    if (code < 0 || code >= BY_CODE.length) {
      throw new IllegalArgumentException("unknown priority code " + code);
    }
    return BY_CODE[code];
  }

  /** Parses {@code critical|normal|bulk}, case-insensitively. */
  public static Priority parse(String label) {
    for (Priority p : values()) {
      if (p.label().equalsIgnoreCase(label.trim())) {
        return p;
      }
    }
    throw new IllegalArgumentException("must be one of critical, normal, bulk (got " + label + ")");
  }
}
