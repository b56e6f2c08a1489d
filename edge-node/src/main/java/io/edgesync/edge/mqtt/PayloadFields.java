package io.edgesync.edge.mqtt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * The two payload fields the edge looks at: the top-level string {@code id} (explicit event
 * id) and the top-level number {@code ts} (event time, epoch ms). Only a payload whose first
 * non-space byte is '{' is parsed, with a streaming parser that stops as soon as both
 * fields are found and never builds a tree; anything else is opaque.
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
