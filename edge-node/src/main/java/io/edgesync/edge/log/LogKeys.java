package io.edgesync.edge.log;

import io.edgesync.model.Priority;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Key layout of the RocksDB column families (docs/ARCHITECTURE-edge.md).
 * {@code log}: class byte + classSeq (8 bytes, big-endian) so that each class is one
 * ordered run. {@code meta}: ASCII names, values are 8-byte big-endian longs.
 */
final class LogKeys {
  static final int CLASSES = Priority.values().length;
  static final byte[] NEXT_SEQ = ascii("next.seq");
  private static final byte[][] NEXT_CLASS_SEQ = new byte[CLASSES][];
  private static final byte[][] RELEASED = new byte[CLASSES][];

  static {
    for (Priority p : Priority.values()) {
      NEXT_CLASS_SEQ[p.code()] = ascii("next.classSeq." + p.label());
      RELEASED[p.code()] = ascii("released." + p.label());
    }
  }

  private LogKeys() {}

  /** {@code log} key of class {@code classCode}, sequence {@code classSeq}. */
  static byte[] logKey(int classCode, long classSeq) {
    return ByteBuffer.allocate(9).put((byte) classCode).putLong(classSeq).array();
  }

  /** First key after every key of class {@code classCode} (exclusive upper bound). */
  static byte[] classEnd(int classCode) {
    return new byte[] {(byte) (classCode + 1)};
  }

  static byte[] nextClassSeq(int classCode) {
    return NEXT_CLASS_SEQ[classCode];
  }

  static byte[] released(int classCode) {
    return RELEASED[classCode];
  }

  static byte[] longValue(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long parseLong(byte[] v, long absent) {
    if (v == null) {
      return absent;
    }
    if (v.length != 8) {
      throw new IllegalStateException("meta value of " + v.length + " bytes, expected 8");
    }
    return ByteBuffer.wrap(v).getLong();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
