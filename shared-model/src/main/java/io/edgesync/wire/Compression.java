package io.edgesync.wire;

import java.util.Locale;

/** Body compression of a batch frame. The code is the frame byte; never renumber. */
public enum Compression {
  NONE(0), ZSTD(1);

  private final int code;

  Compression(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static Compression fromCode(int code) {
    for (Compression c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    throw new BatchFormatException(BatchFormatException.Reason.BAD_COMPRESSION,
        "unknown compression code " + code);
  }

  /** Parses {@code none|zstd} (config values). */
  public static Compression parse(String label) {
    for (Compression c : values()) {
      if (c.name().equalsIgnoreCase(label.trim())) {
        return c;
      }
    }
    throw new IllegalArgumentException("must be one of none, zstd (got " + label + ")");
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
