package io.edgesync.edge.dedup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DedupKeyTest {

  /** The stored layout: 'i' + source UTF-8 + 0x00 + id UTF-8 (keys already on disk must still match). */
  private static byte[] layout(String source, String id) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write('i');
    b.writeBytes(source.getBytes(StandardCharsets.UTF_8));
    b.write(0);
    b.writeBytes(id.getBytes(StandardCharsets.UTF_8));
    return b.toByteArray();
  }

  @Test
  void explicitIdKeysKeepTheStoredLayoutForAsciiAndNonAsciiText() {
    for (String[] c : new String[][] {{"dev-1", "m-1"}, {"", ""}, {"dev-ü", "m-1"}, {"dev-1", "m-€-😀"},
        {"loadgen-c3", "run1-c3-123456"}, {"a\u007f", "\u0080"}}) {
      DedupKey k = DedupKey.explicitId(c[0], c[1]);
      assertArrayEquals(layout(c[0], c[1]), k.suffix(), c[0] + "/" + c[1]);
      assertEquals(DedupHash.hash64(layout(c[0], c[1])), k.hash());
    }
    assertNull(DedupKey.explicitId("bad\u0000source", "x"));
    assertNull(DedupKey.explicitId(null, "x"));
  }
}
