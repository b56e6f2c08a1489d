package io.edgesync.edge.rules;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.cel.common.values.NullValue;
import io.edgesync.edge.mqtt.PayloadFields;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a JSON object payload into the values CEL works with: {@code Map<String,Object>}
 * with {@link Long} (integers), {@link Double} (other numbers), {@link String},
 * {@link Boolean}, {@link NullValue}, {@link List} and nested maps. Streaming parser,
 * nesting at most 64 deep. Thread-safe.
 */
public final class PayloadJson {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build();

  private PayloadJson() {}

  /** The object, or null when the payload is not exactly one JSON object. Never throws. */
  public static Map<String, Object> parseObject(byte[] payload) {
    if (!PayloadFields.startsLikeObject(payload)) {
      return null;
    }
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Map<String, Object> out = object(p);
      return p.nextToken() == null ? out : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static Map<String, Object> object(JsonParser p) throws IOException {
    Map<String, Object> m = new HashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      m.put(name, value(p, p.nextToken()));
    }
    return m;
  }

  private static Object value(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case START_OBJECT -> object(p);
      case START_ARRAY -> {
        List<Object> l = new ArrayList<>();
        JsonToken x;
        while ((x = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(value(p, x));
        }
        yield l;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT -> p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          ? (Object) p.getDoubleValue() : (Object) p.getLongValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> NullValue.NULL_VALUE;
      default -> throw new IOException("unexpected token " + t);
    };
  }

  /** The value at a dotted path ({@code a.b.c}) in nested maps, or null when absent. */
  public static Object at(Map<String, Object> root, String path) {
    Object cur = root;
    int from = 0;
    while (true) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      int dot = path.indexOf('.', from);
      String key = dot < 0 ? path.substring(from) : path.substring(from, dot);
      cur = m.get(key);
      if (dot < 0 || cur == null) {
        return cur;
      }
      from = dot + 1;
    }
  }
}
