package io.edgesync.cloud.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

/**
 * The record value: payload embedded verbatim only when it is exactly one JSON value; value and
 * headers byte for byte those of the Jackson-built records they replaced ({@link #reference}).
 */
class EventRecordsTest {
  private static final JsonFactory JSON = JsonFactory.builder()
      .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_CONTENT)
      .build();
  private static final String[] ODD_TEXT = {"", "dev-1", "loadgen-c3", "a\"b", "back\\slash", "tab\there", "nl\n",
      "cr\r", "bs\b", "ff\f", "\u0000", "\u0001\u001f", "del\u007f", "slash/", "é", "\u07ff", "\u0800", "中文",
      "\uffff", "😀", "a😀b", "\ud800", "x\udfff", "\ufffd", "'single'", "{\"json\":1}", "<>&", "u\\u0041"};
  private static final String[] PAYLOADS = {"{\"id\":\"m-1\",\"v\":[1,2]}", " [1, 2]\n", "21.5", "\"text\"", "true",
      "null", "{\"s\":\"é中😀\\u00e9\"}", "", " ", "not json", "{\"a\":1", "01", "\"tab\there\"", "{} {}"};

  private static boolean json(String s) {
    return EventRecords.isJson(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void onlyExactlyOneJsonValueCountsAsJson() {
    assertTrue(json("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\u00e9\"}"));
    assertTrue(json("  [1, 2]\n"));
    assertTrue(json("21.5"));
    assertTrue(json("\"text\""));
    assertTrue(json("true"));
    assertFalse(json(""));
    assertFalse(json("   "));
    assertFalse(json("{\"a\":1"));
    assertFalse(json("{\"a\":1} {\"b\":2}"));
    assertFalse(json("12abc"));
    assertFalse(json("\"unterminated"));
    assertFalse(json("{'a':1}"));
    assertFalse(json("NaN"));
    assertFalse(EventRecords.isJson(new byte[] {'"', (byte) 0xC3, (byte) 0x28, '"'}));
  }

  @Test
  void jsonPayloadIsEmbeddedAndOtherBytesGoToPayloadBase64() {
    Event j = new Event(42, 7, Priority.BULK, "dev-1", "t/1", "m-1", 1000, 2000,
        "{\"id\":\"m-1\",\"v\":[1,2]}".getBytes(StandardCharsets.UTF_8));
    PreparedEvent pj = EventRecords.prepare("n9", j);
    JsonObject v = new JsonObject(Buffer.buffer(pj.value()));
    assertEquals(new JsonObject().put("eventId", "m-1").put("nodeId", "n9").put("seq", 42).put("classSeq", 7)
        .put("priority", "bulk").put("source", "dev-1").put("topic", "t/1").put("eventTime", 1000)
        .put("ingestTime", 2000).put("payload", new JsonObject("{\"id\":\"m-1\",\"v\":[1,2]}")), v);
    assertEquals("dev-1", new String(pj.key(), StandardCharsets.UTF_8));

    byte[] opaque = "not json at all".getBytes(StandardCharsets.UTF_8);
    PreparedEvent po = EventRecords.prepare("n9", new Event(43, 8, Priority.BULK, "dev-1", "t/1", null, 1, 2, opaque));
    JsonObject vo = new JsonObject(Buffer.buffer(po.value()));
    assertFalse(vo.containsKey("payload"));
    assertEquals(Base64.getEncoder().encodeToString(opaque), vo.getString("payloadBase64"));
    assertEquals("n9:43", vo.getString("eventId"));
  }

  @Test
  void valueAndHeadersAreByteForByteThoseOfTheJacksonBuiltRecord() {
    Random rnd = new Random(2026);
    for (int i = 0; i < 5_000; i++) {
      String node = i % 7 == 0 ? pick(rnd, ODD_TEXT) + "n" : "edge-" + rnd.nextInt(100);
      EventKind kind = EventKind.values()[rnd.nextInt(EventKind.values().length)];
      byte[] payload = i % 5 == 4 ? randomBytes(rnd) : pick(rnd, PAYLOADS).getBytes(StandardCharsets.UTF_8);
      String reason = kind == EventKind.DEAD_LETTER ? pick(rnd, new String[] {null, "", " ", "too large", "bad\"\u0002"})
          : null;
      Event e = new Event(rnd.nextInt(4) == 0 ? Long.MAX_VALUE - rnd.nextInt(5) : rnd.nextInt(1_000_000),
          rnd.nextInt(1_000_000), Priority.values()[rnd.nextInt(3)], pick(rnd, ODD_TEXT), pick(rnd, ODD_TEXT),
          rnd.nextBoolean() ? null : pick(rnd, ODD_TEXT), randomTime(rnd), randomTime(rnd), payload, kind, reason);

      PreparedEvent built = EventRecords.prepare(node, e);
      PreparedEvent expected = reference(node, e);

      String what = "event " + i + ": " + e + " of " + node;
      assertEquals(new String(expected.value(), StandardCharsets.UTF_8), new String(built.value(), StandardCharsets.UTF_8),
          what);
      assertArrayEquals(expected.value(), built.value(), what);
      assertArrayEquals(expected.key(), built.key(), what);
      assertEquals(expected.topic(), built.topic(), what);
      assertEquals(expected.headers().size(), built.headers().size(), what);
      for (int h = 0; h < expected.headers().size(); h++) {
        assertEquals(expected.headers().get(h).key(), built.headers().get(h).key(), what);
        assertArrayEquals(expected.headers().get(h).value(), built.headers().get(h).value(), what);
      }
    }
  }

  @Test
  void extremeNumbersAreWrittenAsJacksonWritesThem() {
    for (long t : new long[] {0, 9, 10, 99, 100, -1, -9, -10, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1}) {
      Event e = new Event(0, Long.MAX_VALUE, Priority.CRITICAL, "s", "t", null, t, -t, new byte[] {'1'});
      assertArrayEquals(reference("n", e).value(), EventRecords.prepare("n", e).value(), Long.toString(t));
    }
  }

  @Test
  void priorityHeaderIsOneSharedInstancePerClass() {
    Event a = new Event(1, 1, Priority.NORMAL, "s", "t", null, 1, 1, new byte[] {'1'});
    Event b = new Event(2, 2, Priority.NORMAL, "s2", "t", null, 1, 1, new byte[] {'2'});
    assertSame(EventRecords.prepare("n", a).headers().get(5), EventRecords.prepare("n", b).headers().get(5));
  }

  private static long randomTime(Random rnd) {
    return switch (rnd.nextInt(4)) {
      case 0 -> 1_700_000_000_000L + rnd.nextInt(1_000_000);
      case 1 -> rnd.nextInt(100) - 50;
      case 2 -> rnd.nextLong();
      default -> rnd.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE;
    };
  }

  private static String pick(Random rnd, String[] from) {
    return from[rnd.nextInt(from.length)];
  }

  private static byte[] randomBytes(Random rnd) {
    byte[] b = new byte[rnd.nextInt(40)];
    rnd.nextBytes(b);
    return b;
  }

  /**
   * The record as it was built before: Jackson's generator into a ByteArrayOutputStream, headers
   * from Strings. The payload decision is {@link EventRecords#isJson} (what is compared is the
   * writing, not the check).
   */
  private static PreparedEvent reference(String nodeId, Event e) {
    String eventId = e.eventId(nodeId);
    byte[] payload = e.payload();
    boolean json = EventRecords.isJson(payload);
    String reason = e.reason() == null || e.reason().isBlank() ? EventRecords.UNSPECIFIED_REASON : e.reason();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("eventId", eventId);
      g.writeStringField("nodeId", nodeId);
      g.writeNumberField("seq", e.seq());
      g.writeNumberField("classSeq", e.classSeq());
      g.writeStringField("priority", e.priority().label());
      g.writeStringField("source", e.source());
      g.writeStringField("topic", e.topic());
      g.writeNumberField("eventTime", e.eventTimeMs());
      g.writeNumberField("ingestTime", e.ingestTimeMs());
      if (e.kind() == EventKind.DEAD_LETTER) {
        g.writeStringField("reason", reason);
      }
      if (json) {
        g.flush();
        out.write(",\"payload\":".getBytes(StandardCharsets.US_ASCII));
        out.write(payload);
        out.write('}');
      } else {
        g.writeBinaryField("payloadBase64", payload);
        g.writeEndObject();
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    byte[] source = e.source().getBytes(StandardCharsets.UTF_8);
    List<Header> headers = new ArrayList<>(8);
    headers.add(utf8Header(EventRecords.H_EVENT_ID, eventId));
    headers.add(utf8Header(EventRecords.H_NODE_ID, nodeId));
    headers.add(utf8Header(EventRecords.H_SEQ, Long.toString(e.seq())));
    headers.add(new RecordHeader(EventRecords.H_SOURCE, source));
    headers.add(utf8Header(EventRecords.H_EVENT_TIME, Long.toString(e.eventTimeMs())));
    headers.add(utf8Header(EventRecords.H_PRIORITY, e.priority().label()));
    headers.add(utf8Header(EventRecords.H_CLASS_SEQ, Long.toString(e.classSeq())));
    if (e.kind() == EventKind.DEAD_LETTER) {
      headers.add(utf8Header(EventRecords.H_REASON, reason));
    }
    return new PreparedEvent(EventRecords.topicOf(e.kind()), e.seq(), e.classSeq(), source, out.toByteArray(), headers);
  }

  private static Header utf8Header(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
