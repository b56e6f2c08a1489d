package io.edgesync.edge.dedup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * What an append is deduplicated on; passed with the envelope to
 * {@code EventLog.append(envelope, key)} (null there means "nothing to dedup on").
 *
 * <ul>
 *   <li>{@link Kind#ID}: the payload's explicit {@code id} from one source (SPEC §3: the
 *       same id from the same source is one event). Always checked.</li>
 *   <li>{@link Kind#PACKET_ID}: an MQTT QoS1/2 PUBLISH without an explicit id, keyed by
 *       (client id, packet id) with a fingerprint of topic + payload. A PUBLISH with DUP=1
 *       is checked (duplicate when the newest entry for the packet id has the same
 *       fingerprint); one with DUP=0 is a new message and only replaces the entry.</li>
 * </ul>
 *
 * <p>Key bytes (after the 8-byte bucket prefix the index adds): kind byte ({@code 'i'} or
 * {@code 'p'}) + source (UTF-8) + 0x00 + id (UTF-8) or packet id (2 bytes, big-endian).
 * A source containing U+0000 cannot be keyed (MQTT forbids it in client ids): the
 * factories return null for it. Immutable; {@code equals} is identity (it holds arrays).
 */
public final class DedupKey {

  /** Which rule produced the key; {@link #label()} is the {@code kind} tag of the hit metric. */
  public enum Kind {
    ID((byte) 'i', "id"),
    PACKET_ID((byte) 'p', "dup");

    private final byte code;
    private final String label;

    Kind(byte code, String label) {
      this.code = code;
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Kind kind;
  private final byte[] suffix;
  private final long hash;
  private final long fingerprint;
  private final boolean check;

  private DedupKey(Kind kind, byte[] suffix, long fingerprint, boolean check) {
    this.kind = kind;
    this.suffix = suffix;
    this.hash = DedupHash.hash64(suffix);
    this.fingerprint = fingerprint;
    this.check = check;
  }

  /** The key of an event with explicit {@code id} from {@code source}; null when unkeyable. */
  public static DedupKey explicitId(String source, String id) {
    if (source == null || id == null || source.indexOf('\0') >= 0) {
      return null;
    }
    byte[] ascii = asciiKey(Kind.ID.code, source, id);
    if (ascii != null) {
      return new DedupKey(Kind.ID, ascii, 0, true);
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream(source.length() + id.length() + 2);
    b.write(Kind.ID.code);
    b.writeBytes(source.getBytes(StandardCharsets.UTF_8));
    b.write(0);
    b.writeBytes(id.getBytes(StandardCharsets.UTF_8));
    return new DedupKey(Kind.ID, b.toByteArray(), 0, true);
  }

  /**
   * The key of a QoS1/2 PUBLISH without explicit id; null when unkeyable.
   *
   * @param dup whether the PUBLISH had DUP=1 (only then is it checked)
   */
  public static DedupKey packetId(String clientId, int packetId, boolean dup, String topic, byte[] payload) {
    if (clientId == null || clientId.indexOf('\0') >= 0) {
      return null;
    }
    ByteArrayOutputStream b = new ByteArrayOutputStream(clientId.length() + 4);
    b.write(Kind.PACKET_ID.code);
    b.writeBytes(clientId.getBytes(StandardCharsets.UTF_8));
    b.write(0);
    b.write((packetId >>> 8) & 0xFF);
    b.write(packetId & 0xFF);
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    long fingerprint = DedupHash.hash64(payload, 0, payload.length, DedupHash.hash64(t));
    return new DedupKey(Kind.PACKET_ID, b.toByteArray(), fingerprint, dup);
  }

  /**
   * {@code code + a + 0x00 + b} when both are ASCII (their UTF-8 is one byte per char), built
   * in one array; null otherwise. Same bytes as the general path, without its buffer copies.
   */
  private static byte[] asciiKey(byte code, String a, String b) {
    int la = a.length();
    int lb = b.length();
    byte[] out = new byte[la + lb + 2];
    out[0] = code;
    for (int i = 0; i < la; i++) {
      char c = a.charAt(i);
      if (c >= 0x80) {
        return null;
      }
      out[1 + i] = (byte) c;
    }
    out[la + 1] = 0;
    for (int i = 0; i < lb; i++) {
      char c = b.charAt(i);
      if (c >= 0x80) {
        return null;
      }
      out[la + 2 + i] = (byte) c;
    }
    return out;
  }

  public Kind kind() {
    return kind;
  }

  /** The key bytes without the bucket prefix (do not modify). */
  byte[] suffix() {
    return suffix;
  }

  /** Hash of {@link #suffix()}, for the Bloom filters. */
  long hash() {
    return hash;
  }

  /** Topic + payload fingerprint of a packet-id key; 0 for an id key. */
  long fingerprint() {
    return fingerprint;
  }

  /** Whether the append is checked for a duplicate (false: always stored, entry replaced). */
  public boolean checked() {
    return check;
  }

  @Override
  public String toString() {
    if (kind == Kind.PACKET_ID) {
      int pid = ((suffix[suffix.length - 2] & 0xFF) << 8) | (suffix[suffix.length - 1] & 0xFF);
      return "DedupKey[dup " + new String(suffix, 1, suffix.length - 4, StandardCharsets.UTF_8) + "/" + pid
          + " checked=" + check + "]";
    }
    return "DedupKey[id " + new String(suffix, 1, suffix.length - 1, StandardCharsets.UTF_8).replace('\0', '/') + "]";
  }
}
