package io.edgesync.cloud.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The record value: payload embedded verbatim only when it is exactly one JSON value. */
class EventRecordsTest {
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
}
