package io.edgesync.edge.mqtt;

import io.edgesync.model.Priority;
import java.util.List;

/**
 * Maps a topic to its priority class: the first matching {@code streams.critical} filter
 * makes it critical, else the first matching {@code streams.bulk} filter makes it bulk,
 * else it is normal. Immutable and thread-safe; called on the MQTT event loops.
 */
public final class StreamClassifier {
  private final List<TopicFilter> critical;
  private final List<TopicFilter> bulk;

  public StreamClassifier(List<TopicFilter> critical, List<TopicFilter> bulk) {
    this.critical = List.copyOf(critical);
    this.bulk = List.copyOf(bulk);
  }

  public Priority classify(String topic) {
    if (critical.isEmpty() && bulk.isEmpty()) {
      return Priority.NORMAL;
    }
    String[] levels = TopicFilter.levels(topic);
    for (TopicFilter f : critical) {
      if (f.matches(levels)) {
        return Priority.CRITICAL;
      }
    }
    for (TopicFilter f : bulk) {
      if (f.matches(levels)) {
        return Priority.BULK;
      }
    }
    return Priority.NORMAL;
  }
}
