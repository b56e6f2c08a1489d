package io.edgesync.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchFormatException.Reason;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Encodes and decodes batch frames, the body of {@code POST /v1/batches}. Layout (v1,
 * big-endian), documented in docs/PROTOCOL.md:
 *
 * <pre>
 *  0   4  magic "ESBF"
 *  4   1  frame version = 1
 *  5   1  compression (0 none, 1 zstd)
 *  6   1  priority code of every event in the batch
 *  7   1  flags: bit 0 = SKIP (evicted class sequence numbers before firstClassSeq),
 *           bit 1 = EPOCH (the log epoch follows the node id); others 0
 *  8   2  node id length N, then N bytes UTF-8
 *  ..  8  log epoch (only with EPOCH; never 0)
 *  ..  8  firstClassSeq
 *  ..  4  event count C
 *  ..  4  uncompressed body length U
 *  ..  4  body length B (as sent)
 *  ..  4  CRC32C of the body as sent
 *  ..  B  body: C x (u32 envelope length, envelope), compressed as a whole
 * </pre>
 *
 * Stateless and thread-safe.
 */
public final class BatchCodec {
  public static final int VERSION = 1;
  /** Flag bit 0 (offset 7): the numbers between the receiver's watermark and firstClassSeq were evicted. */
  public static final int FLAG_SKIP = 0x01;
  /** Flag bit 1: the 8-byte log epoch of the sending log follows the node id. */
  public static final int FLAG_EPOCH = 0x02;
  private static final int KNOWN_FLAGS = FLAG_SKIP | FLAG_EPOCH;
  public static final String CONTENT_TYPE = "application/vnd.edgesync.batch";
  private static final byte[] MAGIC = {'E', 'S', 'B', 'F'};
  private static final int MAX_NODE_ID_BYTES = 1024;

  /**
   * One zstd compression context per encoding thread, level 1: {@code Zstd.compress} set up and
   * freed a context (about a megabyte of native workspace) for every batch, a malloc churn that
   * fragmented the native heap of a forwarding edge (docs/BENCHMARKS.md, memory). The few
   * threads that encode (the forwarder's workers) each keep theirs for their lifetime.
   */
  private static final ThreadLocal<ZstdCompressCtx> COMPRESSOR = ThreadLocal.withInitial(
      () -> new ZstdCompressCtx().setLevel(1));

  /**
   * The same for decoding: {@code Zstd.decompressByteArray} creates and frees a decompression
   * context (~100 KB of native memory) per frame; cloud-ingest's few decoding threads (its
   * worker pool) each keep one instead.
   */
  private static final ThreadLocal<ZstdDecompressCtx> DECOMPRESSOR = ThreadLocal.withInitial(ZstdDecompressCtx::new);

  private BatchCodec() {}

  /**
   * Encodes {@code batch}; the body is compressed with {@code compression}, straight into the
   * frame, with this thread's reusable zstd context.
   */
  public static byte[] encode(EventBatch batch, Compression compression) {
    int bodyLen = 0;
    for (byte[] e : batch.envelopes()) {
      bodyLen += 4 + e.length;
    }
    byte[] node = batch.nodeId().getBytes(StandardCharsets.UTF_8);
    boolean epoch = batch.logEpoch() != 0;
    int header = 8 + 2 + node.length + (epoch ? 8 : 0) + 8 + 4 + 4 + 4 + 4;
    byte[] frame;
    int sentLen;
    if (compression == Compression.ZSTD) {
      byte[] raw = new byte[bodyLen];
      putEnvelopes(ByteBuffer.wrap(raw), batch);
      byte[] room = new byte[header + (int) Zstd.compressBound(bodyLen)];
      sentLen = COMPRESSOR.get().compressByteArray(room, header, room.length - header, raw, 0, bodyLen);
      frame = room.length == header + sentLen ? room : Arrays.copyOf(room, header + sentLen);
    } else {
      // uncompressed: the body goes straight into the frame
      sentLen = bodyLen;
      frame = new byte[header + sentLen];
      putEnvelopes(ByteBuffer.wrap(frame, header, sentLen), batch);
    }
    CRC32C crc = new CRC32C();
    crc.update(frame, header, sentLen);
    ByteBuffer head = ByteBuffer.wrap(frame, 0, header).put(MAGIC).put((byte) VERSION).put((byte) compression.code())
        .put((byte) batch.priority().code()).put((byte) ((batch.skipGap() ? FLAG_SKIP : 0) | (epoch ? FLAG_EPOCH : 0)))
        .putShort((short) node.length).put(node);
    if (epoch) {
      head.putLong(batch.logEpoch());
    }
    head.putLong(batch.firstClassSeq())
        .putInt(batch.size())
        .putInt(bodyLen)
        .putInt(sentLen)
        .putInt((int) crc.getValue());
    return frame;
  }

  /** The body: each envelope as its u32 length and its bytes. */
  private static void putEnvelopes(ByteBuffer body, EventBatch batch) {
    for (byte[] e : batch.envelopes()) {
      body.putInt(e.length).put(e);
    }
  }

  /**
   * Decodes a frame, checking magic, version, flags, CRC, lengths and the event count, and copies
   * every envelope into its own array (see {@link #decodeView} for the decoding without copies).
   *
   * @param maxUncompressedBytes refuse bodies that would inflate beyond this (zip bombs)
   * @throws BatchFormatException with the reason when the frame is not valid
   */
  public static EventBatch decode(byte[] frame, int maxUncompressedBytes) {
    BatchView v = decodeView(frame, maxUncompressedBytes);
    List<byte[]> envelopes = new ArrayList<>(v.size());
    for (int i = 0; i < v.size(); i++) {
      envelopes.add(Arrays.copyOfRange(v.body(), v.envelopeOffset(i), v.envelopeOffset(i) + v.envelopeLength(i)));
    }
    return new EventBatch(v.nodeId(), v.priority(), v.firstClassSeq(), envelopes, v.skipGap(), v.logEpoch());
  }

  /**
   * Decodes a frame with the same checks as {@link #decode} and the same errors, but leaves the
   * envelopes where they are: in the inflated body, or in {@code frame} itself when the body was
   * sent uncompressed (then the view shares {@code frame}, which the caller must not change).
   *
   * @param maxUncompressedBytes refuse bodies that would inflate beyond this (zip bombs)
   * @throws BatchFormatException with the reason when the frame is not valid
   */
  public static BatchView decodeView(byte[] frame, int maxUncompressedBytes) {
    ByteBuffer b = ByteBuffer.wrap(frame);
    try {
      if (b.remaining() < MAGIC.length) {
        throw new BufferUnderflowException();
      }
      if (frame[0] != MAGIC[0] || frame[1] != MAGIC[1] || frame[2] != MAGIC[2] || frame[3] != MAGIC[3]) {
        throw new BatchFormatException(Reason.BAD_MAGIC, "not a batch frame (bad magic)");
      }
      b.position(MAGIC.length);
      int version = b.get() & 0xFF;
      if (version != VERSION) {
        throw new BatchFormatException(Reason.UNSUPPORTED_VERSION,
            "frame version " + version + " is not supported (this side speaks " + VERSION + ")");
      }
      Compression compression = Compression.fromCode(b.get() & 0xFF);
      Priority priority;
      try {
        priority = Priority.fromCode(b.get() & 0xFF);
      } catch (IllegalArgumentException e) {
        throw new BatchFormatException(Reason.BAD_SEQUENCE, e.getMessage());
      }
      int flags = b.get() & 0xFF;
      if ((flags & ~KNOWN_FLAGS) != 0) {
        throw new BatchFormatException(Reason.UNSUPPORTED_FLAGS,
            String.format("flags 0x%02x: unknown bits 0x%02x (this side knows 0x%02x, SKIP and EPOCH)", flags,
                flags & ~KNOWN_FLAGS, KNOWN_FLAGS));
      }
      int nodeLen = b.getShort() & 0xFFFF;
      if (nodeLen == 0 || nodeLen > MAX_NODE_ID_BYTES || nodeLen > b.remaining()) {
        throw new BatchFormatException(Reason.TRUNCATED, "bad node id length " + nodeLen);
      }
      String nodeId = new String(frame, b.position(), nodeLen, StandardCharsets.UTF_8);
      b.position(b.position() + nodeLen);
      long logEpoch = 0;
      if ((flags & FLAG_EPOCH) != 0) {
        logEpoch = b.getLong();
        if (logEpoch == 0) {
          throw new BatchFormatException(Reason.BAD_SEQUENCE, "flag EPOCH with a log epoch of 0");
        }
      }
      long firstClassSeq = b.getLong();
      int count = b.getInt();
      int rawLen = b.getInt();
      int sentLen = b.getInt();
      int crcExpected = b.getInt();
      if (firstClassSeq < 1 || count < 1) {
        throw new BatchFormatException(Reason.BAD_SEQUENCE,
            "firstClassSeq " + firstClassSeq + " and count " + count + " must be >= 1");
      }
      if (sentLen != b.remaining()) {
        throw new BatchFormatException(Reason.TRUNCATED,
            "body length " + sentLen + " but " + b.remaining() + " bytes follow the header");
      }
      if (rawLen < 0 || rawLen > maxUncompressedBytes) {
        throw new BatchFormatException(Reason.TOO_LARGE,
            "body of " + rawLen + " bytes exceeds the limit of " + maxUncompressedBytes);
      }
      CRC32C crc = new CRC32C();
      crc.update(frame, b.position(), sentLen);
      if ((int) crc.getValue() != crcExpected) {
        throw new BatchFormatException(Reason.CRC_MISMATCH, "body CRC32C mismatch");
      }
      boolean skipGap = (flags & FLAG_SKIP) != 0;
      if (compression == Compression.NONE) {
        if (sentLen != rawLen) {
          throw new BatchFormatException(Reason.TRUNCATED, "uncompressed body length mismatch");
        }
        return new BatchView(nodeId, priority, firstClassSeq, skipGap, logEpoch, frame,
            spans(frame, b.position(), sentLen, count));
      }
      byte[] raw = inflate(frame, b.position(), sentLen, rawLen);
      return new BatchView(nodeId, priority, firstClassSeq, skipGap, logEpoch, raw, spans(raw, 0, rawLen, count));
    } catch (BufferUnderflowException e) {
      throw new BatchFormatException(Reason.TRUNCATED, "frame ends inside its header");
    }
  }

  private static byte[] inflate(byte[] frame, int off, int len, int rawLen) {
    byte[] raw = new byte[rawLen];
    long n;
    try {
      n = DECOMPRESSOR.get().decompressByteArray(raw, 0, rawLen, frame, off, len);
    } catch (RuntimeException e) {
      throw new BatchFormatException(Reason.BAD_COMPRESSION, "zstd: " + e.getMessage());
    }
    if (n != rawLen) {
      throw new BatchFormatException(Reason.BAD_COMPRESSION,
          "body inflated to " + n + " bytes, header says " + rawLen);
    }
    return raw;
  }

  /**
   * The offset and length of each of the {@code count} length-prefixed envelopes that must fill
   * {@code buf[off, off+len)} exactly.
   */
  private static int[] spans(byte[] buf, int off, int len, int count) {
    // each envelope takes at least its 4-byte length, so a count above len / 4 fails in the loop
    // before the array is full: it is never sized by an untrusted count
    int[] spans = new int[2 * Math.min(count, len / 4)];
    int p = off;
    int end = off + len;
    for (int i = 0; i < count; i++) {
      if (end - p < 4) {
        throw new BatchFormatException(Reason.TRUNCATED, "body holds " + i + " events, header says " + count);
      }
      int n = (buf[p] & 0xFF) << 24 | (buf[p + 1] & 0xFF) << 16 | (buf[p + 2] & 0xFF) << 8 | (buf[p + 3] & 0xFF);
      p += 4;
      if (n < 0 || n > end - p) {
        throw new BatchFormatException(Reason.TRUNCATED, "event " + i + " runs past the body");
      }
      spans[2 * i] = p;
      spans[2 * i + 1] = n;
      p += n;
    }
    if (p != end) {
      throw new BatchFormatException(Reason.TRUNCATED, (end - p) + " stray bytes after " + count + " events");
    }
    return spans;
  }
}
