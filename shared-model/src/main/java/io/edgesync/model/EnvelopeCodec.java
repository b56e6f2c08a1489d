package io.edgesync.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary envelope, encoded once at ingest. The same bytes are the RocksDB log value
 * and the entries of a batch frame; only the two sequence fields are patched in place by
 * the log writer when it assigns them.
 *
 * <pre>
 * offset size  field (big-endian)
 *  0      1    envelope version = 1
 *  1      1    priority code (0 critical, 1 normal, 2 bulk)
 *  2      1    flags: bit 0 = has explicit id; bits 1-2 = kind (0 event, 1 alert, 2 dead letter)
 *  3      8    seq       (patched at durable append)
 * 11      8    classSeq  (patched at durable append)
 * 19      8    eventTime, epoch ms
 * 27      8    ingestTime, epoch ms
 * 35      2+S  source, UTF-8, length-prefixed (u16)
 *  ..     2+T  topic, UTF-8 (u16)
 *  ..     2+I  explicit id, UTF-8 (u16); I = 0 when absent
 *  ..     4+P  payload (u32 length)
 *  ..     2+R  reason, UTF-8 (u16); R = 0 except for dead letters
 * </pre>
 */
public final class EnvelopeCodec {
  public static final int VERSION = 1;
  static final int OFF_PRIORITY = 1;
  static final int OFF_FLAGS = 2;
  static final int OFF_SEQ = 3;
  static final int OFF_CLASS_SEQ = 11;
  static final int HEADER_BYTES = 35;
  private static final int FLAG_EXPLICIT_ID = 1;
  private static final int KIND_SHIFT = 1;
  private static final int KIND_MASK = 0b110;
  private static final int MAX_SHORT_STRING = 0xFFFF;

  private EnvelopeCodec() {}

  /** Encodes {@code e}; seq and classSeq are written as given (0 before append). */
  public static byte[] encode(Event e) {
    byte[] source = utf8(e.source(), "source");
    byte[] topic = utf8(e.topic(), "topic");
    byte[] id = e.explicitId() == null ? new byte[0] : utf8(e.explicitId(), "id");
    byte[] reason = e.reason() == null ? new byte[0] : utf8(e.reason(), "reason");
    ByteBuffer b = ByteBuffer.allocate(
        HEADER_BYTES + 2 + source.length + 2 + topic.length + 2 + id.length + 4 + e.payload().length + 2 + reason.length);
    b.put((byte) VERSION)
        .put((byte) e.priority().code())
        .put((byte) ((e.explicitId() != null ? FLAG_EXPLICIT_ID : 0) | (e.kind().code() << KIND_SHIFT)))
        .putLong(e.seq())
        .putLong(e.classSeq())
        .putLong(e.eventTimeMs())
        .putLong(e.ingestTimeMs());
    b.putShort((short) source.length).put(source);
    b.putShort((short) topic.length).put(topic);
    b.putShort((short) id.length).put(id);
    b.putInt(e.payload().length).put(e.payload());
    b.putShort((short) reason.length).put(reason);
    return b.array();
  }

  /** @throws MalformedEnvelopeException when the bytes are not a whole v1 envelope */
  public static Event decode(byte[] buf) {
    return decode(buf, 0, buf.length);
  }

  /** Decodes the envelope in {@code buf[off, off+len)}. */
  public static Event decode(byte[] buf, int off, int len) {
    try {
      ByteBuffer b = ByteBuffer.wrap(buf, off, len);
      int version = b.get() & 0xFF;
      if (version != VERSION) {
        throw new MalformedEnvelopeException("unsupported envelope version " + version);
      }
      Priority priority = Priority.fromCode(b.get() & 0xFF);
      int flags = b.get() & 0xFF;
      long seq = b.getLong();
      long classSeq = b.getLong();
      long eventTime = b.getLong();
      long ingestTime = b.getLong();
      String source = shortString(b);
      String topic = shortString(b);
      String id = shortString(b);
      int payloadLen = b.getInt();
      if (payloadLen < 0 || payloadLen > b.remaining() - 2) {
        throw new MalformedEnvelopeException("payload length " + payloadLen + " runs past the envelope");
      }
      byte[] payload = new byte[payloadLen];
      b.get(payload);
      String reason = shortString(b);
      if (b.hasRemaining()) {
        throw new MalformedEnvelopeException(b.remaining() + " stray bytes after the envelope");
      }
      EventKind kind = EventKind.fromCode((flags & KIND_MASK) >> KIND_SHIFT);
      return new Event(seq, classSeq, priority, source, topic,
          (flags & FLAG_EXPLICIT_ID) != 0 ? id : null, eventTime, ingestTime, payload, kind,
          reason.isEmpty() ? null : reason);
    } catch (MalformedEnvelopeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new MalformedEnvelopeException("truncated or corrupt envelope: " + e);
    }
  }

  /** Writes the sequence numbers into an encoded envelope, in place. Called by the log writer. */
  public static void patchSequence(byte[] envelope, long seq, long classSeq) {
    ByteBuffer b = ByteBuffer.wrap(envelope);
    b.putLong(OFF_SEQ, seq);
    b.putLong(OFF_CLASS_SEQ, classSeq);
  }

  public static Priority priorityOf(byte[] envelope) {
    return Priority.fromCode(envelope[OFF_PRIORITY] & 0xFF);
  }

  public static EventKind kindOf(byte[] envelope) {
    return EventKind.fromCode((envelope[OFF_FLAGS] & KIND_MASK) >> KIND_SHIFT);
  }

  public static long seqOf(byte[] envelope) {
    return ByteBuffer.wrap(envelope).getLong(OFF_SEQ);
  }

  public static long classSeqOf(byte[] envelope) {
    return ByteBuffer.wrap(envelope).getLong(OFF_CLASS_SEQ);
  }

  private static byte[] utf8(String s, String field) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_SHORT_STRING) {
      throw new IllegalArgumentException(field + " is longer than " + MAX_SHORT_STRING + " bytes");
    }
    return bytes;
  }

  private static String shortString(ByteBuffer b) {
    int len = b.getShort() & 0xFFFF;
    if (len > b.remaining()) {
      throw new MalformedEnvelopeException("string length " + len + " runs past the envelope");
    }
    if (len == 0) {
      return ""; // absent id and reason: most envelopes
    }
    String s = new String(b.array(), b.arrayOffset() + b.position(), len, StandardCharsets.UTF_8);
    b.position(b.position() + len);
    return s;
  }
}
