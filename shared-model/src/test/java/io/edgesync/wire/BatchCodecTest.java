package io.edgesync.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchFormatException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BatchCodecTest {

  private static EventBatch batch(int n) {
    List<byte[]> envs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] env = EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "dev-" + (i % 3), "sensors/t",
          "id-" + i, 1000 + i, 2000 + i, ("{\"value\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
      EnvelopeCodec.patchSequence(env, 100 + i, 10 + i);
      envs.add(env);
    }
    return new EventBatch("node-1", Priority.NORMAL, 10, envs);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void batchRoundTripsWithEveryCompression(Compression c) {
    EventBatch b = batch(500);
    EventBatch d = BatchCodec.decode(BatchCodec.encode(b, c), 1 << 24);
    assertEquals("node-1", d.nodeId());
    assertEquals(Priority.NORMAL, d.priority());
    assertEquals(10, d.firstClassSeq());
    assertEquals(509, d.lastClassSeq());
    for (int i = 0; i < b.size(); i++) {
      assertArrayEquals(b.envelopes().get(i), d.envelopes().get(i));
    }
  }

  @Test
  void zstdShrinksRepetitiveSensorBatches() {
    EventBatch b = batch(1000);
    assertEquals(true, BatchCodec.encode(b, Compression.ZSTD).length * 3 < BatchCodec.encode(b, Compression.NONE).length);
  }

  @Test
  void everyFlippedBodyByteIsCaughtByTheCrc() {
    byte[] frame = BatchCodec.encode(batch(20), Compression.ZSTD);
    int headerEnd = frame.length - 50;
    for (int i = headerEnd; i < frame.length; i++) {
      byte[] bad = frame.clone();
      bad[i] ^= 0x40;
      BatchFormatException e = assertThrows(BatchFormatException.class, () -> BatchCodec.decode(bad, 1 << 24));
      assertEquals(Reason.CRC_MISMATCH, e.reason());
    }
  }

  @Test
  void aBodyZstdCannotReadIsNamedAndTheThreadStillDecodesTheNextFrame() {
    byte[] good = BatchCodec.encode(batch(50), Compression.ZSTD);
    byte[] bad = good.clone();
    int header = 8 + 2 + "node-1".length() + 8 + 4 + 4 + 4 + 4;
    bad[header] ^= 0x01; // the zstd frame's magic number; the CRC below is made to match
    CRC32C crc = new CRC32C();
    crc.update(bad, header, bad.length - header);
    ByteBuffer.wrap(bad).putInt(header - 4, (int) crc.getValue());
    for (int round = 0; round < 2; round++) {
      BatchFormatException e = assertThrows(BatchFormatException.class, () -> BatchCodec.decode(bad, 1 << 24));
      assertEquals(Reason.BAD_COMPRESSION, e.reason());
      assertEquals(50, BatchCodec.decode(good, 1 << 24).size(), "the reused zstd context is not left broken");
    }
  }

  @Test
  void truncatedFramesAreRefusedAtEveryLength() {
    byte[] frame = BatchCodec.encode(batch(5), Compression.NONE);
    for (int cut = 0; cut < frame.length; cut++) {
      byte[] part = Arrays.copyOf(frame, cut);
      assertThrows(BatchFormatException.class, () -> BatchCodec.decode(part, 1 << 24));
    }
  }

  @Test
  void badMagicAndFutureVersionAreNamed() {
    byte[] frame = BatchCodec.encode(batch(1), Compression.NONE);
    byte[] magic = frame.clone();
    magic[0] = 'X';
    assertEquals(Reason.BAD_MAGIC,
        assertThrows(BatchFormatException.class, () -> BatchCodec.decode(magic, 1 << 20)).reason());
    byte[] version = frame.clone();
    version[4] = 9;
    assertEquals(Reason.UNSUPPORTED_VERSION,
        assertThrows(BatchFormatException.class, () -> BatchCodec.decode(version, 1 << 20)).reason());
  }

  @Test
  void bodyAboveTheLimitIsRefusedBeforeInflating() {
    byte[] frame = BatchCodec.encode(batch(1000), Compression.ZSTD);
    assertEquals(Reason.TOO_LARGE,
        assertThrows(BatchFormatException.class, () -> BatchCodec.decode(frame, 1000)).reason());
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void skipFlagRoundTripsAndSitsInByteSeven(Compression c) {
    EventBatch plain = batch(3);
    EventBatch skip = new EventBatch(plain.nodeId(), plain.priority(), plain.firstClassSeq(), plain.envelopes(), true);
    byte[] plainFrame = BatchCodec.encode(plain, c);
    byte[] skipFrame = BatchCodec.encode(skip, c);
    assertEquals(0, plainFrame[7]);
    assertEquals(BatchCodec.FLAG_SKIP, skipFrame[7]);
    assertEquals(false, BatchCodec.decode(plainFrame, 1 << 24).skipGap());
    EventBatch d = BatchCodec.decode(skipFrame, 1 << 24);
    assertEquals(true, d.skipGap());
    assertEquals(10, d.firstClassSeq());
    assertEquals(3, d.size());
    assertEquals(false, plain.skipGap(), "the 4-argument constructor means no SKIP");
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void logEpochRoundTripsBehindFlagEpochAndAFrameWithoutItHasNone(Compression c) {
    EventBatch plain = batch(3);
    EventBatch epoch = new EventBatch(plain.nodeId(), plain.priority(), plain.firstClassSeq(), plain.envelopes(), true,
        0x8123_4567_89ab_cdefL);
    byte[] frame = BatchCodec.encode(epoch, c);
    assertEquals(BatchCodec.FLAG_SKIP | BatchCodec.FLAG_EPOCH, frame[7]);
    assertEquals(0x8123_4567_89ab_cdefL, ByteBuffer.wrap(frame, 8 + 2 + 6, 8).getLong(), "right after the node id");
    EventBatch d = BatchCodec.decode(frame, 1 << 24);
    assertEquals(0x8123_4567_89ab_cdefL, d.logEpoch());
    assertEquals(true, d.skipGap());
    assertEquals(10, d.firstClassSeq());
    assertArrayEquals(plain.envelopes().get(2), d.envelopes().get(2));
    assertEquals(0x8123_4567_89ab_cdefL, BatchCodec.decodeView(frame, 1 << 24).logEpoch());
    assertEquals(0, BatchCodec.decode(BatchCodec.encode(plain, c), 1 << 24).logEpoch());
    // flag EPOCH with an epoch of 0 is not a frame any sender writes
    ByteBuffer.wrap(frame, 8 + 2 + 6, 8).putLong(0);
    assertEquals(Reason.BAD_SEQUENCE, assertThrows(BatchFormatException.class, () -> BatchCodec.decode(frame, 1 << 24))
        .reason());
  }

  @Test
  void unknownFlagBitsAreRefused() {
    for (int bit = 2; bit < 8; bit++) {
      byte[] frame = BatchCodec.encode(batch(2), Compression.ZSTD);
      frame[7] = (byte) (1 << bit | BatchCodec.FLAG_SKIP);
      BatchFormatException e = assertThrows(BatchFormatException.class, () -> BatchCodec.decode(frame, 1 << 24));
      assertEquals(Reason.UNSUPPORTED_FLAGS, e.reason(), "bit " + bit);
    }
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void viewLeavesTheEnvelopesInTheBodyAndAgreesWithDecode(Compression c) {
    EventBatch b = new EventBatch("node-1", Priority.NORMAL, 10, batch(300).envelopes(), true);
    byte[] frame = BatchCodec.encode(b, c);
    BatchView v = BatchCodec.decodeView(frame, 1 << 24);
    assertEquals("node-1", v.nodeId());
    assertEquals(Priority.NORMAL, v.priority());
    assertEquals(10, v.firstClassSeq());
    assertEquals(true, v.skipGap());
    assertEquals(300, v.size());
    for (int i = 0; i < b.size(); i++) {
      assertArrayEquals(b.envelopes().get(i), Arrays.copyOfRange(v.body(), v.envelopeOffset(i),
          v.envelopeOffset(i) + v.envelopeLength(i)), "envelope " + i);
      assertEquals(EnvelopeCodec.decode(b.envelopes().get(i)),
          EnvelopeCodec.decode(v.body(), v.envelopeOffset(i), v.envelopeLength(i)));
    }
    if (c == Compression.NONE) {
      assertSame(frame, v.body(), "an uncompressed body is not copied at all");
    }
  }

  @Test
  void eventCountBeyondTheBodyIsTruncatedWithTheSameMessageAndNeverSizesAnArray() {
    byte[] frame = BatchCodec.encode(batch(2), Compression.NONE);
    int countAt = 8 + 2 + "node-1".length() + 8;
    for (int count : new int[] {3, Integer.MAX_VALUE}) {
      ByteBuffer.wrap(frame).putInt(countAt, count);
      BatchFormatException e = assertThrows(BatchFormatException.class, () -> BatchCodec.decodeView(frame, 1 << 24));
      assertEquals(Reason.TRUNCATED, e.reason());
      assertEquals("body holds 2 events, header says " + count, e.getMessage());
    }
    ByteBuffer.wrap(frame).putInt(countAt, 1);
    BatchFormatException stray = assertThrows(BatchFormatException.class, () -> BatchCodec.decode(frame, 1 << 24));
    assertEquals(Reason.TRUNCATED, stray.reason());
    assertEquals((4 + batch(2).envelopes().get(1).length)
        + " stray bytes after 1 events", stray.getMessage());
  }
}
