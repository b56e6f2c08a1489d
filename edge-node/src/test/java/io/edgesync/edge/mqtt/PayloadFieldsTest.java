package io.edgesync.edge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
}
