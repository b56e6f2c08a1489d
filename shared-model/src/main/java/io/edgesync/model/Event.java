package io.edgesync.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * One event as the edge made it durable: the decoded view of an envelope (see
 * {@link EnvelopeCodec} for the bytes).
 *
 * @param seq          per-node sequence number, gap-free over all classes; 0 until the
 *                     log writer assigns it at durable append
 * @param classSeq     per-node, per-class sequence number, gap-free within the class; the
 *                     unit of the cloud's watermark; 0 until assigned
 * @param priority     priority class
 * @param source       MQTT client id or feed name
 * @param topic        MQTT topic (or feed channel)
 * @param explicitId   the payload's string {@code id}, or {@code null} when it has none
 * @param eventTimeMs  payload {@code ts} when present, else ingest time (epoch ms)
 * @param ingestTimeMs when the edge accepted the event (epoch ms)
 * @param payload      payload bytes as published; compared by content in equals
 * @param kind         event, alert or dead letter (decides the Kafka topic)
 * @param reason       why a dead letter was refused (null for other kinds)
 */
public record Event(
    long seq,
    long classSeq,
    Priority priority,
    String source,
    String topic,
    String explicitId,
    long eventTimeMs,
    long ingestTimeMs,
    byte[] payload,
    EventKind kind,
    String reason) {

  /** A plain device event (kind {@link EventKind#EVENT}, no reason). */
  public Event(long seq, long classSeq, Priority priority, String source, String topic, String explicitId,
      long eventTimeMs, long ingestTimeMs, byte[] payload) {
    this(seq, classSeq, priority, source, topic, explicitId, eventTimeMs, ingestTimeMs, payload, EventKind.EVENT, null);
  }

  public Event {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(payload, "payload");
    if (seq < 0 || classSeq < 0) {
      throw new IllegalArgumentException("sequence numbers must be >= 0");
    }
  }

  /** The event id of §3: the payload's {@code id}, else {@code {nodeId}:{seq}}. */
  public String eventId(String nodeId) {
    return explicitId != null ? explicitId : nodeId + ":" + seq;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Event e
        && seq == e.seq && classSeq == e.classSeq && priority == e.priority
        && eventTimeMs == e.eventTimeMs && ingestTimeMs == e.ingestTimeMs
        && source.equals(e.source) && topic.equals(e.topic)
        && Objects.equals(explicitId, e.explicitId) && Arrays.equals(payload, e.payload)
        && kind == e.kind && Objects.equals(reason, e.reason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(seq, classSeq, priority, source, topic, explicitId, eventTimeMs, ingestTimeMs, kind, reason)
        * 31 + Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    // never the payload: it may be large or sensitive
    return "Event[seq=" + seq + ", classSeq=" + classSeq + ", priority=" + priority.label()
        + ", kind=" + kind + ", source=" + source + ", topic=" + topic + ", id=" + explicitId
        + ", payloadBytes=" + payload.length + "]";
  }
}
