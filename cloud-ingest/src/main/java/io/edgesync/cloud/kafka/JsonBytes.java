package io.edgesync.cloud.kafka;

import java.nio.charset.StandardCharsets;

/**
 * JSON text written straight into a byte array whose exact length was computed first, so that
 * the record value needs no growing buffer and no final copy. The output is the same as
 * Jackson's {@code UTF8JsonGenerator} with default settings (which built the record value
 * before, and which the tests compare with): strings are UTF-8 with {@code \" \\ \b \t \n \f \r}
 * escaped short, other characters below U+0020 as {@code \\u00XX} (upper-case hex), and every
 * UTF-16 surrogate, paired or not, as its own {@code \\uXXXX} escape; numbers are plain decimals.
 * Stateless and thread-safe.
 */
final class JsonBytes {
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);
  /** Per ASCII character: 0 = as is, a letter = short escape {@code \x}, -1 = {@code \\u00XX}. */
  private static final byte[] ASCII_ESCAPE = new byte[128];

  static {
    for (int c = 0; c < 0x20; c++) {
      ASCII_ESCAPE[c] = -1;
    }
    ASCII_ESCAPE['"'] = '"';
    ASCII_ESCAPE['\\'] = '\\';
    ASCII_ESCAPE['\b'] = 'b';
    ASCII_ESCAPE['\t'] = 't';
    ASCII_ESCAPE['\f'] = 'f';
    ASCII_ESCAPE['\n'] = 'n';
    ASCII_ESCAPE['\r'] = 'r';
  }

  private JsonBytes() {}

  /** Bytes of {@code s} as a quoted JSON string, quotes included. */
  static int stringLength(String s) {
    int n = s.length() + 2;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        byte esc = ASCII_ESCAPE[c];
        n += esc == 0 ? 0 : esc > 0 ? 1 : 5;
      } else if (c < 0x800) {
        n += 1;
      } else if (Character.isSurrogate(c)) {
        n += 5;
      } else {
        n += 2;
      }
    }
    return n;
  }

  /** Writes {@code s} quoted at {@code p}; returns the index after it. */
  static int writeString(byte[] out, int p, String s) {
    out[p++] = '"';
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        byte esc = ASCII_ESCAPE[c];
        if (esc == 0) {
          out[p++] = (byte) c;
        } else if (esc > 0) {
          out[p++] = '\\';
          out[p++] = esc;
        } else {
          p = writeUnicodeEscape(out, p, c);
        }
      } else if (c < 0x800) {
        out[p++] = (byte) (0xC0 | (c >> 6));
        out[p++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isSurrogate(c)) {
        p = writeUnicodeEscape(out, p, c);
      } else {
        out[p++] = (byte) (0xE0 | (c >> 12));
        out[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        out[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    out[p++] = '"';
    return p;
  }

  /** Bytes of {@code v} in decimal. */
  static int decimalLength(long v) {
    if (v == Long.MIN_VALUE) {
      return LONG_MIN.length;
    }
    int n = v < 0 ? 2 : 1;
    for (long x = Math.abs(v); x >= 10; x /= 10) {
      n++;
    }
    return n;
  }

  /** Writes {@code v} in decimal at {@code p}; returns the index after it. */
  static int writeDecimal(byte[] out, int p, long v) {
    if (v == Long.MIN_VALUE) {
      return write(out, p, LONG_MIN);
    }
    int end = p + decimalLength(v);
    if (v < 0) {
      out[p] = '-';
      v = -v;
    }
    int i = end;
    do {
      out[--i] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return end;
  }

  /** {@code v} in decimal, as its own array (a header value). */
  static byte[] decimal(long v) {
    byte[] out = new byte[decimalLength(v)];
    writeDecimal(out, 0, v);
    return out;
  }

  /** Copies {@code bytes} to {@code p}; returns the index after them. */
  static int write(byte[] out, int p, byte[] bytes) {
    System.arraycopy(bytes, 0, out, p, bytes.length);
    return p + bytes.length;
  }

  /** {@code s} (ASCII JSON text) as bytes: for constants. */
  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static int writeUnicodeEscape(byte[] out, int p, char c) {
    out[p++] = '\\';
    out[p++] = 'u';
    out[p++] = HEX[(c >> 12) & 0xF];
    out[p++] = HEX[(c >> 8) & 0xF];
    out[p++] = HEX[(c >> 4) & 0xF];
    out[p++] = HEX[c & 0xF];
    return p;
  }
}
