package io.edgesync.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {

  private static Event sample(String id) {
    return new Event(0, 0, Priority.BULK, "dev-7", "sensors/dev-7/temp", id, 1763760000000L,
        1763760000012L, "{\"id\":\"m-1\",\"value\":21.5}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void encodedEventDecodesToTheSameEvent() {
    Event e = sample("m-1");
    assertEquals(e, EnvelopeCodec.decode(EnvelopeCodec.encode(e)));
  }

  @Test
  void writerPatchesSequenceNumbersInPlace() {
    byte[] env = EnvelopeCodec.encode(sample(null));
    EnvelopeCodec.patchSequence(env, 42, 7);
    Event d = EnvelopeCodec.decode(env);
    assertEquals(42, d.seq());
    assertEquals(7, d.classSeq());
    assertEquals(42, EnvelopeCodec.seqOf(env));
    assertEquals(7, EnvelopeCodec.classSeqOf(env));
    assertEquals(Priority.BULK, EnvelopeCodec.priorityOf(env));
    assertNull(d.explicitId());
    assertEquals("n1:42", d.eventId("n1"));
  }

  @Test
  void explicitIdWinsOverTheDerivedOne() {
    assertEquals("m-1", sample("m-1").eventId("n1"));
  }

  @Test
  void truncatedEnvelopeIsRefusedWithAClearError() {
    byte[] env = EnvelopeCodec.encode(sample("m-1"));
    for (int cut = 0; cut < env.length; cut += 7) {
      byte[] part = Arrays.copyOf(env, cut);
      assertThrows(MalformedEnvelopeException.class, () -> EnvelopeCodec.decode(part));
    }
  }

  @Test
  void deadLetterKeepsItsKindAndReason() {
    Event e = new Event(3, 2, Priority.NORMAL, "s", "t", "x", 1, 2, new byte[] {1}, EventKind.DEAD_LETTER,
        "schema: value must be a number");
    byte[] env = EnvelopeCodec.encode(e);
    assertEquals(e, EnvelopeCodec.decode(env));
    assertEquals(EventKind.DEAD_LETTER, EnvelopeCodec.kindOf(env));
    assertEquals(EventKind.EVENT, EnvelopeCodec.decode(EnvelopeCodec.encode(sample(null))).kind());
  }

  @Test
  void opaquePayloadRoundTrips() {
    byte[] raw = {0, (byte) 0xFF, 10, 13};
    Event e = new Event(1, 1, Priority.CRITICAL, "s", "t", null, 1, 2, raw);
    assertArrayEquals(raw, EnvelopeCodec.decode(EnvelopeCodec.encode(e)).payload());
  }
}
