package io.edgesync.edge.mqtt;

import java.util.Objects;

/**
 * An MQTT topic filter (MQTT 3.1.1 §4.7, MQTT 5 §4.7): levels separated by {@code /},
 * {@code +} matches exactly one level, {@code #} (last level only) matches the parent
 * level and any number of levels below it. A filter starting with a wildcard does not
 * match topics starting with {@code $} (e.g. {@code $SYS/...}).
 *
 * <p>Immutable and thread-safe.
 */
public final class TopicFilter {
  private final String filter;
  private final String[] levels;

  private TopicFilter(String filter, String[] levels) {
    this.filter = filter;
    this.levels = levels;
  }

  /**
   * Parses and validates {@code filter}.
   *
   * @throws IllegalArgumentException naming the problem, when the filter is not valid
   */
  public static TopicFilter parse(String filter) {
    Objects.requireNonNull(filter, "filter");
    if (filter.isEmpty()) {
      throw new IllegalArgumentException("a topic filter must not be empty");
    }
    if (filter.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a topic filter must not contain NUL (" + filter + ")");
    }
    String[] levels = filter.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      if (l.equals("#")) {
        if (i != levels.length - 1) {
          throw new IllegalArgumentException("'#' must be the last level of a topic filter (" + filter + ")");
        }
      } else if (!l.equals("+") && (l.indexOf('#') >= 0 || l.indexOf('+') >= 0)) {
        throw new IllegalArgumentException("a wildcard must fill a whole level (" + filter + ")");
      }
    }
    return new TopicFilter(filter, levels);
  }

  /** Splits a topic name into its levels, once, for {@link #matches(String[])}. */
  public static String[] levels(String topic) {
    return topic.split("/", -1);
  }

  /** Whether {@code topic} (a topic name, no wildcards) matches this filter. */
  public boolean matches(String topic) {
    return matches(levels(topic));
  }

  /** Whether the topic split by {@link #levels(String)} matches this filter. */
  public boolean matches(String[] topic) {
    if (topic.length > 0 && topic[0].startsWith("$")
        && (levels[0].equals("#") || levels[0].equals("+"))) {
      return false;
    }
    for (int i = 0; i < levels.length; i++) {
      String f = levels[i];
      if (f.equals("#")) {
        return true;
      }
      if (i >= topic.length) {
        return false;
      }
      if (!f.equals("+") && !f.equals(topic[i])) {
        return false;
      }
    }
    return topic.length == levels.length;
  }

  /** Whether the filter has a wildcard. */
  public boolean isWildcard() {
    return filter.indexOf('#') >= 0 || filter.indexOf('+') >= 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TopicFilter t && t.filter.equals(filter);
  }

  @Override
  public int hashCode() {
    return filter.hashCode();
  }

  /** The filter as written. */
  @Override
  public String toString() {
    return filter;
  }
}
