package io.edgesync.edge.rules;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks an event against the first schema whose filter matches its topic (docs/RULES.md,
 * "Schemas"). Checks in order: size, JSON object, required fields (presence and type),
 * ranges. Pure and thread-safe.
 */
public final class SchemaValidator {
  /**
   * Why an event failed its schema.
   *
   * @param kind   the class of the failure, the {@code reason_kind} metric tag: too_large,
   *               not_json, missing_field, wrong_type, out_of_range
   * @param reason one line, e.g. {@code schema sensors/+/temp: value must be <= 150 (got 900)}
   */
  public record Violation(String kind, String reason) {}

  private SchemaValidator() {}

  /** The first schema matching {@code topic}, or null. */
  public static SchemaSpec schemaFor(List<SchemaSpec> schemas, String topic) {
    if (schemas.isEmpty()) {
      return null;
    }
    for (SchemaSpec s : schemas) {
      if (s.match().matches(topic)) {
        return s;
      }
    }
    return null;
  }

  /**
   * @param json the payload parsed as a JSON object (null when it is not one); asked only
   *             when the schema has JSON checks
   * @return the violation, or null when the event is valid (or no schema matches)
   */
  public static Violation check(List<SchemaSpec> schemas, String topic, int payloadBytes,
      Supplier<Map<String, Object>> json) {
    SchemaSpec s = schemaFor(schemas, topic);
    if (s == null) {
      return null;
    }
    String at = "schema " + s.filterText() + ": ";
    if (s.maxPayloadBytes() > 0 && payloadBytes > s.maxPayloadBytes()) {
      return new Violation("too_large", at + "payload of " + payloadBytes + " bytes is above maxPayloadBytes "
          + s.maxPayloadBytes());
    }
    if (!s.needsJson()) {
      return null;
    }
    Map<String, Object> m = json.get();
    if (m == null) {
      return new Violation("not_json", at + "payload is not a JSON object");
    }
    for (SchemaSpec.Field f : s.required()) {
      Object v = PayloadJson.at(m, f.path());
      if (v == null) {
        return new Violation("missing_field", at + "missing required field " + f.path());
      }
      if (!hasType(v, f.type())) {
        return new Violation("wrong_type", at + f.path() + " must be a " + label(f.type()) + " (got " + typeOf(v)
            + ")");
      }
    }
    for (SchemaSpec.Range r : s.ranges()) {
      Object v = PayloadJson.at(m, r.path());
      if (v == null) {
        continue;
      }
      if (!(v instanceof Number num)) {
        return new Violation("wrong_type", at + r.path() + " must be a number (got " + typeOf(v) + ")");
      }
      double d = num.doubleValue();
      if (d < r.min()) {
        return new Violation("out_of_range", at + r.path() + " must be >= " + fmt(r.min()) + " (got " + fmt(d) + ")");
      }
      if (d > r.max()) {
        return new Violation("out_of_range", at + r.path() + " must be <= " + fmt(r.max()) + " (got " + fmt(d) + ")");
      }
      if (Double.isNaN(d)) {
        return new Violation("out_of_range", at + r.path() + " is NaN");
      }
    }
    return null;
  }

  private static boolean hasType(Object v, SchemaSpec.FieldType t) {
    return switch (t) {
      case NUMBER -> v instanceof Number;
      case STRING -> v instanceof String;
      case BOOLEAN -> v instanceof Boolean;
      case OBJECT -> v instanceof Map;
      case ARRAY -> v instanceof List;
    };
  }

  private static String label(SchemaSpec.FieldType t) {
    return t.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String typeOf(Object v) {
    if (v instanceof Number) {
      return "number";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Boolean) {
      return "boolean";
    }
    if (v instanceof Map) {
      return "object";
    }
    if (v instanceof List) {
      return "array";
    }
    return "null";
  }

  /** 150.0 → "150", 12.5 → "12.5". */
  static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
  }
}
