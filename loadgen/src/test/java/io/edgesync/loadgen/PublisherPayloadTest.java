package io.edgesync.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PublisherPayloadTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static Publisher publisher(int index, int payloadSize) {
    return new Publisher(vertx, index, "localhost", 1, 1, "bench/", "t", payloadSize, 10, 100, 0, 1);
  }

  @Test
  void payloadIsOneJsonObjectOfTheRequestedSizeWithTheLoadGeneratorsFields() {
    Publisher p = publisher(3, 200);
    for (long n = 1; n <= 1_000; n++) {
      Buffer b = p.payload(n);
      assertEquals(200, b.length(), "payload " + n);
      JsonObject json = new JsonObject(b);
      assertEquals("t-c3-" + n, json.getString("id"));
      assertEquals(n, json.getLong("value"));
      assertTrue(json.getLong("ts") > 0 && json.getLong("tn") > 0);
      assertTrue(json.getString("pad").chars().allMatch(c -> c >= 'a' && c <= 'z'), json.getString("pad"));
    }
  }

  @Test
  void padsDoNotRepeatWithinWhatACompressorSeesAtOnce() {
    // 8 connections' worth of messages, more than one forwarded batch (~1,600 events) each
    Set<String> pads = new HashSet<>();
    int messages = 0;
    for (int c = 0; c < 8; c++) {
      Publisher p = publisher(c, 200);
      for (long n = 1; n <= 2_500; n++) {
        pads.add(new JsonObject(p.payload(n)).getString("pad"));
        messages++;
      }
    }
    assertEquals(messages, pads.size());
  }

  @Test
  void fieldsLongerThanThePayloadSizeGetNoPadAndTheTableWrapsAround() {
    Publisher tiny = publisher(0, 10);
    JsonObject json = new JsonObject(tiny.payload(7));
    assertEquals("", json.getString("pad"));
    // a payload larger than the letter table still gets letters all the way (the slice wraps)
    Publisher large = publisher(1, (9 << 20));
    String pad = new JsonObject(large.payload(1)).getString("pad");
    assertTrue(pad.length() > 8 << 20);
    assertTrue(pad.chars().allMatch(c -> c >= 'a' && c <= 'z'));
    assertNotEquals(pad.substring(0, 64), pad.substring(64, 128));
  }
}
