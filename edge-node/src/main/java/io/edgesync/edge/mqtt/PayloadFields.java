package io.edgesync.edge.mqtt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The two payload fields the edge looks at: the top-level string {@code id} (explicit event
 * id) and the top-level number {@code ts} (event time, epoch ms). Only a payload whose first
 * non-space byte is '{' is parsed, by a byte scanner for flat objects of plain strings and
 * integers ({@link #scanFlat}) or else a streaming parser; both stop as soon as both fields
 * are found and never build a tree; anything else is opaque.
 *
 * @param id   the string {@code id}, or null
 * @param ts   the numeric {@code ts} (fractions truncated), or null
 * @param json whether the payload was a well-formed JSON object (as far as it was read)
 */
public record PayloadFields(String id, Long ts, boolean json) {
  private static final PayloadFields OPAQUE = new PayloadFields(null, null, false);
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build();

  /** Scans {@code payload}; never throws. Thread-safe. */
  public static PayloadFields scan(byte[] payload) {
    if (!startsLikeObject(payload)) {
      return OPAQUE;
    }
    PayloadFields flat = scanFlat(payload);
    return flat != null ? flat : scanJson(payload);
  }

  /**
   * The fast path for the common shape: a flat object whose members up to the answer are
   * ASCII strings without escapes or canonical integers of at most 18 digits. Returns what the
   * streaming parser ({@link #scanJson}) would return for such a payload, or null as soon as
   * anything else appears (escape, non-ASCII byte, fraction, exponent, nested value, literal,
   * malformed input), and the caller then runs the full parser from the start. It allocates
   * only the id string and the result (Jackson's parser setup per message was 7-12 % of the
   * edge's CPU, docs/BENCHMARKS.md).
   */
  static PayloadFields scanFlat(byte[] b) {
    int n = b.length;
    int i = skipSpace(b, 0);
    if (i >= n || b[i] != '{') {
      return null;
    }
    i = skipSpace(b, i + 1);
    if (i < n && b[i] == '}') {
      return new PayloadFields(null, null, true);
    }
    String id = null;
    Long ts = null;
    while (true) {
      if (i >= n || b[i] != '"') {
        return null;
      }
      int keyStart = i + 1;
      int keyEnd = plainStringEnd(b, keyStart);
      if (keyEnd < 0) {
        return null;
      }
      boolean isId = keyEnd - keyStart == 2 && b[keyStart] == 'i' && b[keyStart + 1] == 'd';
      boolean isTs = keyEnd - keyStart == 2 && b[keyStart] == 't' && b[keyStart + 1] == 's';
      i = skipSpace(b, keyEnd + 1);
      if (i >= n || b[i] != ':') {
        return null;
      }
      i = skipSpace(b, i + 1);
      if (i >= n) {
        return null;
      }
      if (b[i] == '"') {
        int end = plainStringEnd(b, i + 1);
        if (end < 0) {
          return null;
        }
        if (isId && id == null) {
          id = new String(b, i + 1, end - i - 1, StandardCharsets.US_ASCII);
        }
        i = end + 1;
      } else {
        int end = integerEnd(b, i);
        if (end < 0) {
          return null;
        }
        if (isTs && ts == null) {
          ts = parseInteger(b, i, end);
        }
        i = end;
      }
      if (id != null && ts != null) {
        return new PayloadFields(id, ts, true);
      }
      i = skipSpace(b, i);
      if (i >= n) {
        return null;
      }
      if (b[i] == '}') {
        return new PayloadFields(id, ts, true);
      }
      if (b[i] != ',') {
        return null;
      }
      i = skipSpace(b, i + 1);
    }
  }

  /** Index of the closing quote of a string starting at {@code from}; -1 unless it is plain printable ASCII. */
  private static int plainStringEnd(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      int c = b[i];
      if (c == '"') {
        return i;
      }
      if (c < 0x20 || c == '\\') { // negative: a byte >= 0x80
        return -1;
      }
    }
    return -1;
  }

  /**
   * End (exclusive) of a canonical JSON integer at {@code from} ({@code -?(0|[1-9][0-9]*)}, at
   * most 18 digits) that is followed by a space, ',' or '}'; -1 for anything else.
   */
  private static int integerEnd(byte[] b, int from) {
    int i = from;
    if (i < b.length && b[i] == '-') {
      i++;
    }
    int digits = i;
    while (i < b.length && b[i] >= '0' && b[i] <= '9') {
      i++;
    }
    int count = i - digits;
    if (count == 0 || count > 18 || (count > 1 && b[digits] == '0') || i >= b.length) {
      return -1;
    }
    int next = b[i];
    return next == ',' || next == '}' || next == ' ' || next == '\t' || next == '\n' || next == '\r' ? i : -1;
  }

  private static long parseInteger(byte[] b, int from, int to) {
    boolean negative = b[from] == '-';
    long v = 0;
    for (int i = negative ? from + 1 : from; i < to; i++) {
      v = v * 10 + (b[i] - '0');
    }
    return negative ? -v : v;
  }

  private static int skipSpace(byte[] b, int from) {
    int i = from;
    while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
      i++;
    }
    return i;
  }

  /** The full streaming parse (Jackson), for every payload the fast path does not take. */
  static PayloadFields scanJson(byte[] payload) {
    String id = null;
    Long ts = null;
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return OPAQUE;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (id == null && "id".equals(name) && value == JsonToken.VALUE_STRING) {
          id = p.getText();
        } else if (ts == null && "ts".equals(name) && value == JsonToken.VALUE_NUMBER_INT) {
          ts = p.getLongValue();
        } else if (ts == null && "ts".equals(name) && value == JsonToken.VALUE_NUMBER_FLOAT) {
          ts = (long) p.getDoubleValue();
        } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
        if (id != null && ts != null) {
          return new PayloadFields(id, ts, true);
        }
      }
      return new PayloadFields(id, ts, t == JsonToken.END_OBJECT);
    } catch (IOException | RuntimeException e) {
      // not JSON after all (or a long value out of range): what was found so far still counts
      return new PayloadFields(id, ts, false);
    }
  }

  /** True when the first non-blank byte is '{': the payload may be a JSON object (cheap pre-check). */
  public static boolean startsLikeObject(byte[] b) {
    for (byte x : b) {
      if (x == ' ' || x == '\t' || x == '\n' || x == '\r') {
        continue;
      }
      return x == '{';
    }
    return false;
  }
}
