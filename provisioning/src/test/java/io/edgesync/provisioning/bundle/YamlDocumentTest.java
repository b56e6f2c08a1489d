package io.edgesync.provisioning.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgesync.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class YamlDocumentTest {
  @TempDir
  Path tmp;

  @Test
  void nestsDottedKeysAndWritesPlainScalarsWhereUnambiguous() {
    String yaml = new YamlDocument().comment("head")
        .put("a.b", "plain/path.pem").put("a.c", 7, "seven").put("d", List.of("x:1", "yy")).render();

    assertEquals("""
        # head
        a:
          b: plain/path.pem
          c: 7  # seven
        d:
          - "x:1"
          - yy
        """, yaml);
  }

  @Test
  void everyAwkwardStringReadsBackUnchangedThroughSettings() throws Exception {
    List<String> awkward = List.of("true", "No", "null", "~", "010", "1e5", "0x1F", ".inf", "a: b", "#x", "a #b", "",
        " lead", "quote\"s", "back\\slash", "tab\there", "-", "- x", "[x]", "{x}", "*x", "&x", "!x", "%x", "@x", "`x",
        "../x/crl.pem", "ünïcode", "line\nbreak");
    YamlDocument doc = new YamlDocument();
    for (int i = 0; i < awkward.size(); i++) {
      doc.put("k.v" + i, awkward.get(i));
    }
    Path file = Files.writeString(tmp.resolve("t.yaml"), doc.render());

    Settings s = Settings.load(file, List.of());

    for (int i = 0; i < awkward.size(); i++) {
      // Settings trims values; compare the trimmed form
      assertEquals(awkward.get(i).trim(), s.string("k.v" + i, "<absent>"), "value " + i + ": " + awkward.get(i));
    }
  }
}
