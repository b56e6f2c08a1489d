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
  /** A {@code log} key: the class code (1 byte), then the class sequence number (8, big-endian). */
  static final int LOG_KEY_BYTES = 9;
  static final byte[] NEXT_SEQ = ascii("next.seq");
  /** The log's epoch: random, drawn once when the log is first opened by a version that has epochs. */
  static final byte[] LOG_EPOCH = ascii("log.epoch");
  private static final byte[][] NEXT_CLASS_SEQ = new byte[CLASSES][];
  private static final byte[][] RELEASED = new byte[CLASSES][];
  private static final byte[][] EVICTED = new byte[CLASSES][];
  private static final byte[][] EVICTED_EVENTS = new byte[CLASSES][];
  private static final byte[][] BYTES_APPENDED = new byte[CLASSES][];
  private static final byte[][] BYTES_RELEASED = new byte[CLASSES][];
  private static final byte[][] BYTES_EVICTED = new byte[CLASSES][];
  private static final byte[][] DELETED = new byte[CLASSES][];

  static {
    for (Priority p : Priority.values()) {
      NEXT_CLASS_SEQ[p.code()] = ascii("next.classSeq." + p.label());
      RELEASED[p.code()] = ascii("released." + p.label());
      EVICTED[p.code()] = ascii("evicted." + p.label());
      EVICTED_EVENTS[p.code()] = ascii("evicted.events." + p.label());
      BYTES_APPENDED[p.code()] = ascii("bytes.appended." + p.label());
      BYTES_RELEASED[p.code()] = ascii("bytes.released." + p.label());
      BYTES_EVICTED[p.code()] = ascii("bytes.evicted." + p.label());
      DELETED[p.code()] = ascii("deleted." + p.label());
    }
  }

  /** Highest classSeq of the class evicted at the quota (0: none). */
  static byte[] evicted(int classCode) {
    return EVICTED[classCode];
  }

  /** Events of the class evicted so far (all time). */
  static byte[] evictedEvents(int classCode) {
    return EVICTED_EVENTS[classCode];
  }

  /** Envelope bytes ever appended to the class. */
  static byte[] bytesAppended(int classCode) {
    return BYTES_APPENDED[classCode];
  }

  /** Envelope bytes of the class released after the cloud committed them. */
  static byte[] bytesReleased(int classCode) {
    return BYTES_RELEASED[classCode];
  }

  /** Envelope bytes of the class evicted at the quota. */
  static byte[] bytesEvicted(int classCode) {
    return BYTES_EVICTED[classCode];
  }

  /**
   * Highest classSeq of the class below which a range delete covers every released event (0:
   * none recorded; a log written before this key existed deleted on each release).
   */
  static byte[] deleted(int classCode) {
    return DELETED[classCode];
  }

  private LogKeys() {}

  /** {@code log} key of class {@code classCode}, sequence {@code classSeq}. */
  static byte[] logKey(int classCode, long classSeq) {
    return ByteBuffer.allocate(LOG_KEY_BYTES).put((byte) classCode).putLong(classSeq).array();
  }

  /** The class sequence number of a {@code log} key. */
  static long classSeqOf(byte[] logKey) {
    return ByteBuffer.wrap(logKey).getLong(1);
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
