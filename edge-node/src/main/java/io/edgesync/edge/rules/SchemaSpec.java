package io.edgesync.edge.rules;

import io.edgesync.edge.mqtt.TopicFilter;
import java.util.List;
import java.util.Objects;

/**
 * The validation schema of the streams matching {@code match} (first matching schema wins).
 *
 * @param filterText      the MQTT topic filter as written (used in reasons)
 * @param match           the parsed filter
 * @param json            the payload must be a JSON object
 * @param required        fields that must be present with the given type, in file order
 * @param ranges          numeric bounds (inclusive) of fields, checked when the field is present
 * @param maxPayloadBytes largest accepted payload; 0 = no limit beyond mqtt.maxPayloadBytes
 */
public record SchemaSpec(String filterText, TopicFilter match, boolean json, List<Field> required, List<Range> ranges,
    int maxPayloadBytes) {
  /** Types a required field may be declared with. */
  public enum FieldType { NUMBER, STRING, BOOLEAN, OBJECT, ARRAY }

  /** A required field: dotted path and type. */
  public record Field(String path, FieldType type) {}

  /** A numeric range: dotted path, inclusive bounds. */
  public record Range(String path, double min, double max) {}

  public SchemaSpec {
    Objects.requireNonNull(filterText, "filterText");
    Objects.requireNonNull(match, "match");
    required = List.copyOf(required);
    ranges = List.copyOf(ranges);
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxPayloadBytes must be >= 0");
    }
  }

  /** Whether a field check needs the payload as a JSON object. */
  public boolean needsJson() {
    return json || !required.isEmpty() || !ranges.isEmpty();
  }
}
