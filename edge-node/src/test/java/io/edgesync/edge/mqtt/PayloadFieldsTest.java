package io.edgesync.edge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PayloadFieldsTest {

  private static PayloadFields scan(String s) {
    return PayloadFields.scan(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void topLevelStringIdAndNumericTsAreExtracted() {
    PayloadFields f = scan("{\"id\":\"m-123\",\"ts\":1763760000000,\"value\":21.5}");
    assertEquals("m-123", f.id());
    assertEquals(1763760000000L, f.ts());
    assertTrue(f.json());
  }

  @Test
  void nestedFieldsAndNonStringIdsAreIgnored() {
    PayloadFields f = scan("  {\"meta\":{\"id\":\"inner\",\"ts\":5},\"list\":[{\"id\":\"x\"}],\"id\":42,\"v\":1}");
    assertNull(f.id());
    assertNull(f.ts());
    assertTrue(f.json());
    assertEquals(1700000000123L, scan("{\"ts\":1700000000123.9}").ts());
    assertNull(scan("{\"ts\":\"1700000000000\"}").ts());
  }

  @Test
  void nonJsonPayloadsAreOpaque() {
    assertFalse(scan("21.5").json());
    assertFalse(scan("[1,2]").json());
    assertFalse(PayloadFields.scan(new byte[] {0, 1, 2, (byte) 0xFF}).json());
    assertFalse(PayloadFields.scan(new byte[0]).json());
    PayloadFields broken = scan("{\"id\":\"kept\", oops");
    assertFalse(broken.json());
    assertEquals("kept", broken.id(), "what was read before the error counts");
  }

  @Test
  void theFastPathTakesTheCommonShapeAndAgreesWithTheFullParser() {
    // GIVEN the load generator's payload shape
    byte[] common = "{\"id\":\"run1-c3-42\",\"ts\":1763776800000,\"tn\":1763776800000123,\"value\":42,\"pad\":\"abc\"}"
        .getBytes(StandardCharsets.UTF_8);
    // WHEN it is scanned THEN the byte scanner answers it (no parser) with the parser's answer
    PayloadFields flat = PayloadFields.scanFlat(common);
    assertNotNull(flat);
    assertEquals(new PayloadFields("run1-c3-42", 1763776800000L, true), flat);
    assertEquals(PayloadFields.scanJson(common), flat);
  }

  @Test
  void theFastPathNeverDisagreesWithTheFullParser() {
    // GIVEN hand-written edge cases and 50,000 random payloads built from JSON fragments,
    // valid and broken (escapes, non-ASCII, fractions, exponents, leading zeros, nesting,
    // literals, trailing commas, truncation, long numbers)
    List<String> cases = List.of("{}", " {\t}\n", "{\"id\":\"a\"}", "{\"ts\":-0}", "{\"ts\":01}",
        "{\"ts\":5x}", "{\"ts\":5 x", "{\"ts\":5", "{\"id\":\"a\\\"b\",\"ts\":1}", "{\"id\":\"\u00e9\",\"ts\":1}",
        "{\"ts\":1e3,\"id\":\"x\"}", "{\"ts\":1.5}", "{\"a\":1,}", "{\"a\":[1],\"id\":\"x\",\"ts\":2}",
        "{\"ts\":1234567890123456789}", "{\"ts\":123456789012345678}", "{\"id\":\"a\",\"id\":\"b\",\"ts\":3}",
        "{\"ts\":\"7\",\"ts\":8}", "{\"id\":1,\"id\":\"s\"}", "{\"x\":true,\"id\":\"q\"}", "{\"\":\"\"}",
        "{\"id\" : \"sp\" , \"ts\" : 9 }", "{\"id\":\"tab\there\"}", "{\"id\":\"x\"", "{\"id\":\"x\",\"ts\":-}",
        "{\"id\":\"x\"}garbage", "{\"ts\":-12,\"id\":\"neg\"}", "{,}", "{\"a\"}", "{\"a\":}");
    for (String c : cases) {
      assertAgrees(c.getBytes(StandardCharsets.UTF_8));
    }
    String[] fragments = {"{", "}", "\"id\"", "\"ts\"", "\"v\"", ":", ",", " ", "\n", "\"s\"", "\"a\\\"b\"",
        "\"\u00fc\"", "0", "-", "1", "42", "017", "1.5", "2e3", "1763776800000", "12345678901234567890", "true",
        "null", "[", "]", "\"\"", "\"x y\""};
    Random random = new Random(8);
    for (int n = 0; n < 50_000; n++) {
      StringBuilder sb = new StringBuilder("{");
      int parts = random.nextInt(14);
      for (int k = 0; k < parts; k++) {
        if (random.nextInt(3) == 0) {
          sb.append(fragments[random.nextInt(fragments.length)]);
        } else {
          // a mostly well-formed member, so that long valid prefixes are common
          sb.append(k == 0 ? "" : ",").append(random.nextBoolean() ? "\"id\"" : random.nextBoolean() ? "\"ts\"" : "\"k\"")
              .append(':').append(fragments[random.nextInt(fragments.length)]);
        }
      }
      if (random.nextInt(4) > 0) {
        sb.append('}');
      }
      assertAgrees(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void assertAgrees(byte[] payload) {
    PayloadFields flat = PayloadFields.scanFlat(payload);
    if (flat != null) {
      assertEquals(PayloadFields.scanJson(payload), flat, new String(payload, StandardCharsets.UTF_8));
    }
    PayloadFields full = PayloadFields.startsLikeObject(payload) ? PayloadFields.scanJson(payload)
        : new PayloadFields(null, null, false);
    assertEquals(full, PayloadFields.scan(payload), new String(payload, StandardCharsets.UTF_8));
  }
}
