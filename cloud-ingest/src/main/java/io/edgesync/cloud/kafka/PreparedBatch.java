package io.edgesync.cloud.kafka;

import io.edgesync.model.Priority;
import java.util.List;
import java.util.Objects;

/**
 * A decoded, validated batch of one node and one class, with contiguous class sequence numbers
 * {@code firstClassSeq .. firstClassSeq + events.size() - 1}, ready for the
 * {@link KafkaEventWriter}.
 *
 * @param nodeId        the node (already checked against the certificate CN)
 * @param priority      the class of every event
 * @param firstClassSeq class sequence number of the first event (>= 1)
 * @param events        the events in class-sequence order
 * @param skipGap       the frame's SKIP flag: the numbers between the watermark and
 *                      {@code firstClassSeq} were evicted at the edge; accept the jump
 * @param logEpoch      the sending log's epoch (frame flag EPOCH), 0 when the frame has none
 */
public record PreparedBatch(String nodeId, Priority priority, long firstClassSeq, List<PreparedEvent> events,
    boolean skipGap, long logEpoch) {
  /** A batch without the SKIP flag and without a log epoch. */
  public PreparedBatch(String nodeId, Priority priority, long firstClassSeq, List<PreparedEvent> events) {
    this(nodeId, priority, firstClassSeq, events, false, 0);
  }

  public PreparedBatch {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(priority, "priority");
    events = List.copyOf(events);
    if (events.isEmpty()) {
      throw new IllegalArgumentException("a batch holds at least one event");
    }
    if (firstClassSeq < 1) {
      throw new IllegalArgumentException("firstClassSeq must be >= 1 (got " + firstClassSeq + ")");
    }
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).classSeq() != firstClassSeq + i) {
        throw new IllegalArgumentException("classSeq of event " + i + " is " + events.get(i).classSeq()
            + ", expected " + (firstClassSeq + i));
      }
    }
  }

  /** Class sequence number of the last event. */
  public long lastClassSeq() {
    return firstClassSeq + events.size() - 1;
  }

  /** The (node, class) whose watermark this batch moves. */
  public NodeWatermarks.Key key() {
    return new NodeWatermarks.Key(nodeId, priority);
  }
}
