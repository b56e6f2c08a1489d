package io.edgesync.cloud.kafka;

import java.util.List;
import org.apache.kafka.common.header.Header;

/**
 * One event ready to become an {@code edge.events} record: key, headers and value are built
 * before the batch reaches the writer thread, so that the single writer only calls
 * {@code send}. Arrays are compared by identity (this is a carrier, never a map key).
 *
 * @param topic    {@code edge.events}, {@code edge.alerts} or {@code edge.deadletter}, by the
 *                 envelope's kind
 * @param seq      the node's global sequence number (header {@code seq})
 * @param classSeq the per-class sequence number the watermark counts
 * @param key      record key: the source, UTF-8
 * @param value    record value: the event as JSON (see {@link EventRecords})
 * @param headers  record headers (event-id, node-id, seq, source, event-time, priority, class-seq,
 *                 and reason for dead letters)
 */
public record PreparedEvent(String topic, long seq, long classSeq, byte[] key, byte[] value, List<Header> headers) {
  public PreparedEvent {
    java.util.Objects.requireNonNull(topic, "topic");
    headers = List.copyOf(headers);
  }

  /** Approximate bytes this event holds in memory. */
  public int sizeBytes() {
    return key.length + value.length + 64 * headers.size();
  }
}
