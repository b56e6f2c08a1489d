package io.edgesync.cloud.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link StrictJson} decides whether a payload is embedded verbatim in the record value, so a
 * false "yes" corrupts the record for every consumer. Checked against Jackson's streaming parser
 * (the check it replaces): on valid ASCII JSON they agree; wherever they differ, StrictJson is
 * the stricter one, for a reason listed in {@link #whyJacksonIsLenient}.
 */
class StrictJsonTest {
  private static final JsonFactory JACKSON = new JsonFactory();
  private static final byte[] SPECIAL = bytes("{}[],:\"\\ \t\n\r0123456789-+.eEtfnul/abu");
  private static final int[] ODD_BYTES = {0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED,
      0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean strict(String s) {
    return StrictJson.isOneValue(bytes(s));
  }

  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  @Test
  void acceptsExactlyOneValueWithOptionalSurroundingWhitespace() {
    for (String ok : new String[] {"{}", "[]", "\"\"", "0", "-0", "1e5", "1E+5", "1e-5", "-0.0e0", "12.5E10",
        "123456789012345678901234567890", "true", "false", "null", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n ",
        "{\"a\":{\"b\":[{}, [], \"\", null, true, false, -1.5e-3]}}", "[[[[]]]]", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"\\u00e9\\u00E9\\uD83D\\uDE00\"", "\"é中😀\"", "{\"\":0}", "{\"a\":1,\"a\":2}"}) {
      assertTrue(strict(ok), ok);
      assertTrue(jackson(bytes(ok)), "Jackson agrees: " + ok);
    }
  }

  @Test
  void refusesEverythingElseTheGrammarForbids() {
    for (String bad : new String[] {"", " ", "\n", "{", "}", "[", "]", "{\"a\":1", "{\"a\":1} {\"b\":2}", "1 2", "[1,]",
        "{\"a\":1,}", "[,1]", "{,}", "{\"a\"}", "{\"a\" 1}", "{a:1}", "{'a':1}", "['a']", "01", "-01", "1.", ".5",
        "+1", "-", "1e", "1e+", "1.e5", "0x10", "1_000", "NaN", "Infinity", "-Infinity", "tru", "truex", "nul",
        "True", "NULL", "\"unterminated", "\"a\\\"", "\"\\x41\"", "\"\\u00g0\"", "\"\\u00e\"", "\"\\U00e9\"",
        "\"\\'\"", "\"tab\there\"", "\"nl\nhere\"", "\"nul\u0000\"", "12abc", "[1 2]", "{\"a\":1 \"b\":2}",
        "/* c */ 1", "1 // c", "[1]]", "{}}", "\u000b1", "\f1", "1\u00a0"}) {
      assertFalse(strict(bad), bad.replace("\u0000", "\\0"));
    }
  }

  @Test
  void refusesMalformedUtf8InsideStrings() {
    String[] bad = {
        "22c32822", // 2-byte lead, bad continuation
        "22c0af22", // overlong '/'
        "22c1bf22", // overlong
        "22e080af22", // overlong 3-byte
        "22f08080af22", // overlong 4-byte
        "22eda08022", // surrogate U+D800
        "22edbfbf22", // surrogate U+DFFF
        "22f490808022", // U+110000
        "22f5808080 22".replace(" ", ""), // lead above F4
        "22ff22", "22fe22", "2280 22".replace(" ", ""), // invalid bytes, stray continuation
        "22e282 22".replace(" ", ""), // truncated 3-byte sequence
        "22f09f98 22".replace(" ", ""), // truncated 4-byte sequence
        "22c3", // ends inside a sequence
        "efbbbf7b7d", // UTF-8 byte order mark before {}
        "c3a9", // non-ASCII outside a string
    };
    for (String h : bad) {
      assertFalse(StrictJson.isOneValue(hex(h)), h);
    }
    String[] ok = {"22c3a922", "22e282ac22", "22f09f988022", "22efbfbf22", "22f48fbfbf22", "22ed9fbf22", "22ee808022"};
    for (String h : ok) {
      assertTrue(StrictJson.isOneValue(hex(h)), h);
    }
  }

  @Test
  void jacksonIsMoreLenientOnTheseAndStrictJsonMustNotFollow() {
    // Jackson skips strings without checking UTF-8 fully (overlong forms, surrogates, > U+10FFFF),
    // drops a leading byte order mark, detects UTF-16/32 by the zero bytes, and nests 1000 deep:
    // embedding any of these verbatim would break the UTF-8 record or a consumer's parser.
    byte[][] lenient = {hex("22c0af22"), hex("22eda08022"), hex("22f490808022"), hex("efbbbf7b7d"),
        "{}".getBytes(StandardCharsets.UTF_16LE), "[1]".getBytes(StandardCharsets.UTF_16BE),
        bytes("[".repeat(StrictJson.MAX_DEPTH + 1) + "]".repeat(StrictJson.MAX_DEPTH + 1))};
    for (byte[] in : lenient) {
      assertFalse(StrictJson.isOneValue(in), HexFormat.of().formatHex(in));
      assertTrue(jackson(in), "Jackson accepts " + HexFormat.of().formatHex(in));
      assertTrue(whyJacksonIsLenient(in) != null, HexFormat.of().formatHex(in));
    }
  }

  @Test
  void nestingIsBoundedAndNeverOverflowsTheStack() {
    int max = StrictJson.MAX_DEPTH;
    assertTrue(strict("[".repeat(max) + "]".repeat(max)));
    assertTrue(strict("{\"a\":".repeat(max - 1) + "[]" + "}".repeat(max - 1)));
    assertFalse(strict("[".repeat(max + 1) + "]".repeat(max + 1)));
    assertFalse(strict("{\"a\":".repeat(max) + "[]" + "}".repeat(max)));
    assertFalse(strict("[".repeat(1_000_000)));
  }

  @Test
  void numbersLongerThanJacksonAcceptsAreRefused() {
    String longest = "1".repeat(StrictJson.MAX_NUMBER_CHARS);
    assertTrue(strict(longest));
    assertTrue(strict("-" + "1".repeat(StrictJson.MAX_NUMBER_CHARS - 1)));
    assertFalse(strict(longest + "1"));
    assertFalse(strict("0." + "1".repeat(StrictJson.MAX_NUMBER_CHARS)));
  }

  @Test
  void checksOnlyTheGivenRange() {
    byte[] b = bytes("xx{\"a\":1}yy");
    assertTrue(StrictJson.isOneValue(b, 2, 7));
    assertFalse(StrictJson.isOneValue(b, 2, 6));
    assertFalse(StrictJson.isOneValue(b, 1, 8));
  }

  @Test
  void agreesWithJacksonOnGeneratedValidJson() {
    Random rnd = new Random(8_2026);
    for (int i = 0; i < 20_000; i++) {
      byte[] in = bytes(new Generator(rnd, i % 3 == 0).value(0));
      String what = "generated #" + i + ": " + new String(in, StandardCharsets.UTF_8);
      assertTrue(StrictJson.isOneValue(in), what);
      if (isAscii(in)) {
        assertTrue(jackson(in), what);
      }
      check(in, "generated #" + i);
    }
  }

  @Test
  void neverSaysYesWhereJacksonOrUtf8SayNoOnMutatedInputs() {
    Random rnd = new Random(42);
    int yes = 0;
    int no = 0;
    for (int i = 0; i < 40_000; i++) {
      byte[] in = mutate(rnd, bytes(new Generator(rnd, rnd.nextBoolean()).value(0)), 1 + rnd.nextInt(3));
      if (check(in, "mutated #" + i)) {
        yes++;
      } else {
        no++;
      }
    }
    // the mutations must exercise both answers, or this test proves nothing
    assertTrue(yes > 4_000 && no > 10_000, "yes " + yes + ", no " + no);
  }

  @Test
  void neverSaysYesWhereJacksonOrUtf8SayNoOnRandomBytes() {
    Random rnd = new Random(7);
    for (int i = 0; i < 30_000; i++) {
      byte[] in = new byte[rnd.nextInt(12)];
      for (int j = 0; j < in.length; j++) {
        // mostly JSON-significant bytes, so that some random inputs are valid
        in[j] = rnd.nextInt(4) == 0 ? (byte) rnd.nextInt(256) : SPECIAL[rnd.nextInt(SPECIAL.length)];
      }
      check(in, "random #" + i);
    }
  }

  @Test
  void numberGrammarMatchesJackson() {
    String[] parts = {"", "-", "0", "00", "1", "12", "9", ".", ".0", ".5", "e", "E", "e+", "e-", "E5", "e10", "+",
        "x", " "};
    int n = 0;
    for (String a : parts) {
      for (String b : parts) {
        for (String c : parts) {
          for (String d : parts) {
            byte[] in = bytes(a + b + c + d);
            check(in, "number '" + a + b + c + d + "'");
            if (StrictJson.isOneValue(in) != jackson(in)) {
              fail("number '" + a + b + c + d + "': StrictJson " + StrictJson.isOneValue(in));
            }
            n++;
          }
        }
      }
    }
    assertEquals(parts.length * parts.length * parts.length * parts.length, n);
  }

  /**
   * Asserts the contract on one input: a "yes" is also a "yes" for Jackson and for a strict UTF-8
   * decoder; a "no" where Jackson says yes has a listed reason. Returns StrictJson's answer.
   */
  private static boolean check(byte[] in, String what) {
    boolean ours = StrictJson.isOneValue(in);
    boolean theirs = jackson(in);
    if (ours) {
      if (!theirs || !isUtf8(in)) {
        fail(what + ": StrictJson says JSON, Jackson " + theirs + ", UTF-8 " + isUtf8(in) + ": "
            + HexFormat.of().formatHex(in));
      }
    } else if (theirs && whyJacksonIsLenient(in) == null) {
      fail(what + ": Jackson says JSON, StrictJson says no, for no listed reason: " + HexFormat.of().formatHex(in)
          + " = " + new String(in, StandardCharsets.UTF_8));
    }
    return ours;
  }

  /** Why Jackson may accept what StrictJson refuses, or null when there is no such reason. */
  private static String whyJacksonIsLenient(byte[] in) {
    if (!isUtf8(in)) {
      return "malformed UTF-8 (Jackson does not check skipped strings fully)";
    }
    if (in.length >= 3 && (in[0] & 0xFF) == 0xEF && (in[1] & 0xFF) == 0xBB && (in[2] & 0xFF) == 0xBF) {
      return "byte order mark (Jackson drops it)";
    }
    for (int i = 0; i < Math.min(4, in.length); i++) {
      if (in[i] == 0) {
        return "zero byte in the first four (Jackson detects UTF-16/32)";
      }
    }
    if (jacksonDepth(in) > StrictJson.MAX_DEPTH) {
      return "nesting deeper than " + StrictJson.MAX_DEPTH + " (Jackson allows 1000)";
    }
    return null;
  }

  /** The check StrictJson replaced: Jackson's streaming parser and skipChildren. */
  private static boolean jackson(byte[] bytes) {
    if (bytes.length == 0) {
      return false;
    }
    try (JsonParser p = JACKSON.createParser(bytes)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() == null;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int jacksonDepth(byte[] bytes) {
    int depth = 0;
    int max = 0;
    try (JsonParser p = JACKSON.createParser(bytes)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t.isStructStart()) {
          max = Math.max(max, ++depth);
        } else if (t.isStructEnd()) {
          depth--;
        }
      }
    } catch (IOException | RuntimeException e) {
      return max;
    }
    return max;
  }

  private static boolean isUtf8(byte[] in) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(in));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static boolean isAscii(byte[] in) {
    for (byte b : in) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] mutate(Random rnd, byte[] in, int times) {
    byte[] b = in;
    for (int k = 0; k < times; k++) {
      int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
      switch (rnd.nextInt(7)) {
        case 0 -> b = Arrays.copyOf(b, at); // truncate
        case 1 -> { // flip one bit
          if (b.length > 0) {
            b[at] ^= (byte) (1 << rnd.nextInt(8));
          }
        }
        case 2 -> { // replace with a JSON-significant or odd byte
          if (b.length > 0) {
            b[at] = rnd.nextBoolean() ? SPECIAL[rnd.nextInt(SPECIAL.length)] : (byte) ODD_BYTES[rnd.nextInt(ODD_BYTES.length)];
          }
        }
        case 3 -> { // insert
          byte[] c = new byte[b.length + 1];
          System.arraycopy(b, 0, c, 0, at);
          c[at] = rnd.nextBoolean() ? SPECIAL[rnd.nextInt(SPECIAL.length)] : (byte) rnd.nextInt(256);
          System.arraycopy(b, at, c, at + 1, b.length - at);
          b = c;
        }
        case 4 -> { // delete
          if (b.length > 0) {
            byte[] c = new byte[b.length - 1];
            System.arraycopy(b, 0, c, 0, at);
            System.arraycopy(b, at + 1, c, at, b.length - at - 1);
            b = c;
          }
        }
        case 5 -> { // append a second value or junk
          byte[] tail = bytes(rnd.nextBoolean() ? " 1" : rnd.nextBoolean() ? "," : "}");
          byte[] c = Arrays.copyOf(b, b.length + tail.length);
          System.arraycopy(tail, 0, c, b.length, tail.length);
          b = c;
        }
        default -> { } // unchanged: keeps a share of valid inputs
      }
    }
    return b;
  }

  /** Random valid JSON with escapes, non-ASCII text, number edge forms and whitespace. */
  private static final class Generator {
    private static final String[] NUMBERS = {"0", "-0", "1", "-1", "0.5", "-0.0", "1e5", "1E5", "1e+5", "1e-5",
        "1.5E-10", "123456789", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
        "1e308", "1e-400", "3.141592653589793", "0e0", "-0E-0"};
    private static final String[] TEXT = {"a", "id", "r-c1-123", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
        "\\r", "\\t", "\\u00e9", "\\u00E9", "\\u0000", "\\u001f", "\\ud83d\\ude00", "é", "中文", "😀", "ÿ", "\u07ff",
        "\uffff", "\ue000", "~", "'", "{", "]", ",", ":"};
    private static final String[] WS = {"", "", "", " ", "\n", "\t", "\r\n", "  "};
    private final Random rnd;
    private final boolean unicode;

    Generator(Random rnd, boolean unicode) {
      this.rnd = rnd;
      this.unicode = unicode;
    }

    String value(int depth) {
      int kind = rnd.nextInt(depth > 6 ? 4 : 7);
      return ws() + switch (kind) {
        case 0 -> NUMBERS[rnd.nextInt(NUMBERS.length)];
        case 1 -> string();
        case 2 -> new String[] {"true", "false", "null"}[rnd.nextInt(3)];
        case 3 -> randomNumber();
        case 4, 5 -> object(depth + 1);
        default -> array(depth + 1);
      } + ws();
    }

    private String object(int depth) {
      StringBuilder sb = new StringBuilder("{");
      int n = rnd.nextInt(5);
      for (int i = 0; i < n; i++) {
        sb.append(i > 0 ? "," : "").append(ws()).append(string()).append(ws()).append(':').append(value(depth));
      }
      return sb.append(n == 0 ? ws() : "").append('}').toString();
    }

    private String array(int depth) {
      StringBuilder sb = new StringBuilder("[");
      int n = rnd.nextInt(5);
      for (int i = 0; i < n; i++) {
        sb.append(i > 0 ? "," : "").append(value(depth));
      }
      return sb.append(n == 0 ? ws() : "").append(']').toString();
    }

    private String string() {
      StringBuilder sb = new StringBuilder("\"");
      int n = rnd.nextInt(6);
      for (int i = 0; i < n; i++) {
        String t = TEXT[rnd.nextInt(TEXT.length)];
        sb.append(!unicode && t.chars().anyMatch(c -> c > 0x7f) ? "x" : t);
      }
      return sb.append('"').toString();
    }

    private String randomNumber() {
      StringBuilder sb = new StringBuilder(rnd.nextBoolean() ? "-" : "");
      sb.append(rnd.nextInt(3) == 0 ? "0" : Integer.toString(1 + rnd.nextInt(100_000)));
      if (rnd.nextBoolean()) {
        sb.append('.').append(rnd.nextInt(1000));
      }
      if (rnd.nextBoolean()) {
        sb.append(rnd.nextBoolean() ? 'e' : 'E').append(new String[] {"", "+", "-"}[rnd.nextInt(3)])
            .append(rnd.nextInt(400));
      }
      return sb.toString();
    }

    private String ws() {
      return WS[rnd.nextInt(WS.length)];
    }
  }
}
