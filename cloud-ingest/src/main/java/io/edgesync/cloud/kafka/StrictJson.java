package io.edgesync.cloud.kafka;

/**
 * Decides whether bytes are exactly one JSON value (RFC 8259) in UTF-8, so that
 * {@link EventRecords} may embed them verbatim in a record value. A wrong "yes" would make the
 * record unreadable for every consumer, so this is strict where parsers are lenient:
 * <ul>
 *   <li>one value (object, array, string, number, {@code true}, {@code false}, {@code null}),
 *       optionally surrounded by JSON whitespace (space, tab, LF, CR) and nothing else: no byte
 *       order mark, no comments, no trailing commas, no single quotes;</li>
 *   <li>strings: only the escapes {@code \" \\ \/ \b \f \n \r \t \\uXXXX}, no raw control
 *       character (below U+0020), and well-formed UTF-8 (no overlong form, no surrogate
 *       U+D800..U+DFFF, nothing above U+10FFFF, no stray continuation byte);</li>
 *   <li>numbers: exactly {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}, at most
 *       {@value #MAX_NUMBER_CHARS} characters (Jackson's default limit, so consumers using it can
 *       read the record);</li>
 *   <li>at most {@value #MAX_DEPTH} nested objects/arrays (the record adds one level; Jackson's
 *       default limit is 1000).</li>
 * </ul>
 * Allocation-free: a recursive descent over the bytes (recursion depth bounded by
 * {@link #MAX_DEPTH}). Stateless and thread-safe.
 */
final class StrictJson {
  /** Deepest accepted nesting of objects and arrays; deeper payloads are not embedded. */
  static final int MAX_DEPTH = 512;
  /** Longest accepted number token, sign, fraction and exponent included. */
  static final int MAX_NUMBER_CHARS = 1000;

  private static final int FAIL = -1;
  // byte classes inside a string
  private static final byte PLAIN = 0;
  private static final byte QUOTE = 1;
  private static final byte BACKSLASH = 2;
  private static final byte CONTROL = 3;
  private static final byte NON_ASCII = 4;
  private static final byte[] STRING_CLASS = new byte[256];

  static {
    for (int c = 0; c < 0x20; c++) {
      STRING_CLASS[c] = CONTROL;
    }
    STRING_CLASS['"'] = QUOTE;
    STRING_CLASS['\\'] = BACKSLASH;
    for (int c = 0x80; c < 0x100; c++) {
      STRING_CLASS[c] = NON_ASCII;
    }
  }

  private StrictJson() {}

  /** True when {@code bytes} hold exactly one JSON value as described on the class. */
  static boolean isOneValue(byte[] bytes) {
    return isOneValue(bytes, 0, bytes.length);
  }

  /** True when {@code buf[off, off+len)} holds exactly one JSON value as described on the class. */
  static boolean isOneValue(byte[] buf, int off, int len) {
    int end = off + len;
    int p = value(buf, skipWhitespace(buf, off, end), end, 0);
    return p != FAIL && skipWhitespace(buf, p, end) == end;
  }

  /** @return the index after the value starting at {@code p}, or {@link #FAIL} */
  private static int value(byte[] b, int p, int end, int depth) {
    if (p >= end) {
      return FAIL;
    }
    return switch (b[p]) {
      case '{' -> depth < MAX_DEPTH ? container(b, p + 1, end, depth + 1, (byte) '}') : FAIL;
      case '[' -> depth < MAX_DEPTH ? container(b, p + 1, end, depth + 1, (byte) ']') : FAIL;
      case '"' -> string(b, p + 1, end);
      case 't' -> literal(b, p, end, 't', 'r', 'u', 'e');
      case 'n' -> literal(b, p, end, 'n', 'u', 'l', 'l');
      case 'f' -> literal(b, p + 1, end, 'a', 'l', 's', 'e');
      case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> number(b, p, end);
      default -> FAIL;
    };
  }

  /**
   * The members of an object ({@code close} = '}') or the elements of an array ({@code close} =
   * ']'); {@code p} is just after the opening bracket.
   */
  private static int container(byte[] b, int p, int end, int depth, byte close) {
    p = skipWhitespace(b, p, end);
    if (p < end && b[p] == close) {
      return p + 1;
    }
    while (true) {
      if (close == '}') {
        p = memberName(b, p, end);
        if (p == FAIL) {
          return FAIL;
        }
      }
      p = skipWhitespace(b, value(b, p, end, depth), end);
      if (p == FAIL || p >= end) {
        return FAIL;
      }
      if (b[p] == close) {
        return p + 1;
      }
      if (b[p] != ',') {
        return FAIL;
      }
      p = skipWhitespace(b, p + 1, end);
    }
  }

  /** {@code "name" :} and the whitespace after it; returns where the member's value starts. */
  private static int memberName(byte[] b, int p, int end) {
    if (p >= end || b[p] != '"') {
      return FAIL;
    }
    p = skipWhitespace(b, string(b, p + 1, end), end);
    if (p == FAIL || p >= end || b[p] != ':') {
      return FAIL;
    }
    return skipWhitespace(b, p + 1, end);
  }

  /** {@code p} is just after the opening quote. */
  private static int string(byte[] b, int p, int end) {
    while (p < end) {
      int c = b[p] & 0xFF;
      switch (STRING_CLASS[c]) {
        case PLAIN -> p++;
        case QUOTE -> {
          return p + 1;
        }
        case BACKSLASH -> {
          p = escape(b, p + 1, end);
          if (p == FAIL) {
            return FAIL;
          }
        }
        case NON_ASCII -> {
          p = utf8Sequence(b, p, end, c);
          if (p == FAIL) {
            return FAIL;
          }
        }
        default -> {
          return FAIL; // raw control character
        }
      }
    }
    return FAIL; // unterminated
  }

  /** {@code p} is just after the backslash. */
  private static int escape(byte[] b, int p, int end) {
    if (p >= end) {
      return FAIL;
    }
    switch (b[p]) {
      case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
        return p + 1;
      }
      case 'u' -> {
        if (p + 5 > end) {
          return FAIL;
        }
        for (int i = p + 1; i <= p + 4; i++) {
          if (!isHexDigit(b[i])) {
            return FAIL;
          }
        }
        return p + 5;
      }
      default -> {
        return FAIL;
      }
    }
  }

  /**
   * A well-formed UTF-8 sequence (Unicode table 3-7) whose lead byte {@code lead} (>= 0x80) is
   * at {@code p}.
   */
  private static int utf8Sequence(byte[] b, int p, int end, int lead) {
    int n;
    int min2 = 0x80;
    int max2 = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      n = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      n = 2;
      if (lead == 0xE0) {
        min2 = 0xA0; // overlong below U+0800
      } else if (lead == 0xED) {
        max2 = 0x9F; // surrogates U+D800..U+DFFF
      }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      n = 3;
      if (lead == 0xF0) {
        min2 = 0x90; // overlong below U+10000
      } else if (lead == 0xF4) {
        max2 = 0x8F; // above U+10FFFF
      }
    } else {
      return FAIL; // continuation byte, overlong C0/C1, or F5..FF
    }
    if (p + n >= end) {
      return FAIL;
    }
    int second = b[p + 1] & 0xFF;
    if (second < min2 || second > max2) {
      return FAIL;
    }
    for (int i = p + 2; i <= p + n; i++) {
      if ((b[i] & 0xC0) != 0x80) {
        return FAIL;
      }
    }
    return p + n + 1;
  }

  private static int number(byte[] b, int p, int end) {
    int start = p;
    if (b[p] == '-') {
      p++;
    }
    if (p >= end) {
      return FAIL;
    }
    if (b[p] == '0') {
      p++;
    } else if (isDigit(b[p])) {
      p = skipDigits(b, p + 1, end);
    } else {
      return FAIL;
    }
    if (p < end && b[p] == '.') {
      if (p + 1 >= end || !isDigit(b[p + 1])) {
        return FAIL;
      }
      p = skipDigits(b, p + 2, end);
    }
    if (p < end && (b[p] == 'e' || b[p] == 'E')) {
      p++;
      if (p < end && (b[p] == '+' || b[p] == '-')) {
        p++;
      }
      if (p >= end || !isDigit(b[p])) {
        return FAIL;
      }
      p = skipDigits(b, p + 1, end);
    }
    return p - start <= MAX_NUMBER_CHARS ? p : FAIL;
  }

  private static int literal(byte[] b, int p, int end, char c0, char c1, char c2, char c3) {
    return p + 4 <= end && b[p] == c0 && b[p + 1] == c1 && b[p + 2] == c2 && b[p + 3] == c3 ? p + 4 : FAIL;
  }

  private static int skipDigits(byte[] b, int p, int end) {
    while (p < end && isDigit(b[p])) {
      p++;
    }
    return p;
  }

  /** Returns {@code p} unchanged when it is {@link #FAIL}. */
  private static int skipWhitespace(byte[] b, int p, int end) {
    if (p < 0) {
      return p;
    }
    while (p < end) {
      byte c = b[p];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        break;
      }
      p++;
    }
    return p;
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isHexDigit(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
