package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Frame to {@link PreparedBatch} without the server: envelopes are decoded in place in the
 * body, and every refusal keeps the status, code and message of docs/PROTOCOL.md.
 */
class BatchDecoderTest {
  private static final String NODE = "n-dec";

  private static byte[] frame(List<byte[]> envelopes, Compression c) {
    return BatchCodec.encode(new EventBatch(NODE, Priority.NORMAL, 5, envelopes, false), c);
  }

  private static IngestError refusal(byte[] frame, String node) {
    return assertThrows(IngestError.class, () -> BatchDecoder.decode(frame, node, 1 << 24));
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyEnvelopeBecomesTheRecordItsOwnDecodeWouldGive(Compression c) {
    // GIVEN a frame of 50 envelopes
    List<byte[]> envelopes = Frames.envelopes(NODE, Priority.NORMAL, 5, 50);
    // WHEN it is decoded
    PreparedBatch b = BatchDecoder.decode(frame(envelopes, c), NODE, 1 << 24);
    // THEN each record is that of the envelope decoded on its own
    assertEquals(5, b.firstClassSeq());
    assertEquals(50, b.events().size());
    for (int i = 0; i < envelopes.size(); i++) {
      PreparedEvent expected = EventRecords.prepare(NODE, EnvelopeCodec.decode(envelopes.get(i)));
      PreparedEvent got = b.events().get(i);
      assertArrayEquals(expected.value(), got.value(), "event " + i);
      assertArrayEquals(expected.key(), got.key(), "event " + i);
      assertEquals(expected.headers().size(), got.headers().size());
    }
  }

  @Test
  void refusalsKeepTheirStatusCodeAndMessage() {
    List<byte[]> good = Frames.envelopes(NODE, Priority.NORMAL, 5, 3);
    byte[] frame = frame(good, Compression.ZSTD);

    IngestError truncated = refusal(Arrays.copyOf(frame, 12), NODE);
    assertEquals(400, truncated.status());
    assertEquals("TRUNCATED", truncated.code());

    IngestError tooLarge = assertThrows(IngestError.class, () -> BatchDecoder.decode(frame, NODE, 10));
    assertEquals(413, tooLarge.status());
    assertEquals("TOO_LARGE", tooLarge.code());

    IngestError mismatch = refusal(frame, "other");
    assertEquals(403, mismatch.status());
    assertEquals("the frame claims node 'n-dec' but the client certificate is for 'other'", mismatch.getMessage());

    List<byte[]> junk = new ArrayList<>(good);
    junk.set(1, new byte[] {1, 2, 3});
    IngestError badEnvelope = refusal(frame(junk, Compression.NONE), NODE);
    assertEquals(400, badEnvelope.status());
    assertEquals("BAD_ENVELOPE", badEnvelope.code());
    assertEquals(true, badEnvelope.getMessage().startsWith("event 1: "), badEnvelope.getMessage());

    List<byte[]> bulk = new ArrayList<>(good);
    bulk.set(2, EnvelopeCodec.encode(withPriority(EnvelopeCodec.decode(good.get(2)), Priority.BULK)));
    IngestError wrongClass = refusal(frame(bulk, Compression.ZSTD), NODE);
    assertEquals("BAD_ENVELOPE", wrongClass.code());
    assertEquals("event 2 is bulk in a normal batch", wrongClass.getMessage());

    List<byte[]> gap = new ArrayList<>(good);
    gap.set(1, good.get(2));
    IngestError sequence = refusal(frame(gap, Compression.ZSTD), NODE);
    assertEquals(400, sequence.status());
    assertEquals("BAD_SEQUENCE", sequence.code());
    assertEquals("event 1 has classSeq 7, expected 6", sequence.getMessage());
  }

  private static Event withPriority(Event e, Priority p) {
    return new Event(e.seq(), e.classSeq(), p, e.source(), e.topic(), e.explicitId(), e.eventTimeMs(),
        e.ingestTimeMs(), e.payload(), e.kind(), e.reason());
  }
}
