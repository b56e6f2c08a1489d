package io.edgesync.edge.mqtt.auth;

import io.edgesync.edge.mqtt.TopicFilter;
import java.util.List;

/**
 * What one MQTT identity may do: publish to topics matching one of {@code publish}, subscribe
 * with filters covered by one of {@code subscribe}. An empty list allows nothing. Immutable.
 *
 * @param publish   filters a PUBLISH topic must match
 * @param subscribe filters a SUBSCRIBE filter must be covered by (every topic the requested
 *                  filter matches is matched by an allowed one)
 */
public record Acl(List<TopicFilter> publish, List<TopicFilter> subscribe) {
  /** Everything allowed (authentication off). */
  public static final Acl ALL = new Acl(List.of(TopicFilter.parse("#")), List.of(TopicFilter.parse("#")));

  public Acl {
    publish = List.copyOf(publish);
    subscribe = List.copyOf(subscribe);
  }

  /** Whether a PUBLISH to {@code topic} is allowed. */
  public boolean mayPublish(String topic) {
    String[] levels = TopicFilter.levels(topic);
    for (TopicFilter f : publish) {
      if (f.matches(levels)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a SUBSCRIBE with {@code requested} is allowed. */
  public boolean maySubscribe(String requested) {
    for (TopicFilter f : subscribe) {
      if (covers(f.toString(), requested)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether every topic matched by filter {@code requested} is matched by filter
   * {@code allowed}: level by level, {@code #} covers the rest, {@code +} covers one level that
   * is not {@code #}, a literal covers only itself.
   */
  static boolean covers(String allowed, String requested) {
    String[] a = TopicFilter.levels(allowed);
    String[] r = TopicFilter.levels(requested);
    if (r.length > 0 && r[0].startsWith("$") && (a[0].equals("#") || a[0].equals("+"))) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (a[i].equals("#")) {
        return true;
      }
      if (i >= r.length) {
        return false;
      }
      if (r[i].equals("#")) {
        return false; // only an allowed '#' covers a requested '#'
      }
      if (a[i].equals("+")) {
        continue;
      }
      if (r[i].equals("+") || !a[i].equals(r[i])) {
        return false;
      }
    }
    return a.length == r.length;
  }
}
