package io.edgesync.cloud.kafka;

import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The Kafka record of one envelope (SPEC §4, docs/CLOUD.md):
 * <ul>
 *   <li>topic by the envelope's kind: {@code edge.events} (event), {@code edge.alerts} (alert),
 *       {@code edge.deadletter} (dead letter);</li>
 *   <li>key: the source, UTF-8 (each device's events keep their order in one partition);</li>
 *   <li>headers: {@code event-id}, {@code node-id}, {@code seq} (the node's global sequence,
 *       decimal), {@code source}, {@code event-time} (epoch ms, decimal), {@code priority},
 *       {@code class-seq}, and {@code reason} on dead letters;</li>
 *   <li>value: JSON {@code {"eventId","nodeId","seq","classSeq","priority","source","topic",
 *       "eventTime","ingestTime","payload"}}, where {@code payload} is the payload embedded
 *       verbatim when it is one valid JSON value; otherwise {@code payload} is absent and
 *       {@code payloadBase64} carries the bytes. Dead letters also carry {@code "reason"}.</li>
 * </ul>
 * Stateless and thread-safe; called on event loops or decode workers.
 */
public final class EventRecords {
  public static final String H_EVENT_ID = "event-id";
  public static final String H_NODE_ID = "node-id";
  public static final String H_SEQ = "seq";
  public static final String H_SOURCE = "source";
  public static final String H_EVENT_TIME = "event-time";
  public static final String H_PRIORITY = "priority";
  public static final String H_CLASS_SEQ = "class-seq";
  public static final String H_REASON = "reason";
  /** The reason header of a dead letter whose envelope carries none. */
  static final String UNSPECIFIED_REASON = "unspecified";

  private static final byte[] F_EVENT_ID = JsonBytes.ascii("{\"eventId\":");
  private static final byte[] F_NODE_ID = JsonBytes.ascii(",\"nodeId\":");
  private static final byte[] F_SEQ = JsonBytes.ascii(",\"seq\":");
  private static final byte[] F_CLASS_SEQ = JsonBytes.ascii(",\"classSeq\":");
  private static final byte[] F_SOURCE = JsonBytes.ascii(",\"source\":");
  private static final byte[] F_TOPIC = JsonBytes.ascii(",\"topic\":");
  private static final byte[] F_EVENT_TIME = JsonBytes.ascii(",\"eventTime\":");
  private static final byte[] F_INGEST_TIME = JsonBytes.ascii(",\"ingestTime\":");
  private static final byte[] F_REASON = JsonBytes.ascii(",\"reason\":");
  private static final byte[] F_PAYLOAD = JsonBytes.ascii(",\"payload\":");
  private static final byte[] F_PAYLOAD_BASE64 = JsonBytes.ascii(",\"payloadBase64\":\"");
  private static final byte[] END_BASE64 = JsonBytes.ascii("\"}");
  /** Per priority code: {@code ,"priority":"<label>"} in the value, and the shared header. */
  private static final byte[][] PRIORITY_FIELD = new byte[Priority.values().length][];
  private static final Header[] PRIORITY_HEADER = new Header[Priority.values().length];

  static {
    for (Priority p : Priority.values()) {
      PRIORITY_FIELD[p.code()] = JsonBytes.ascii(",\"priority\":\"" + p.label() + "\"");
      // RecordHeader built from a key and an array never changes: one instance serves every record
      PRIORITY_HEADER[p.code()] = new RecordHeader(H_PRIORITY, JsonBytes.ascii(p.label()));
    }
  }

  private EventRecords() {}

  /**
   * Builds the record parts of {@code e}, sent by node {@code nodeId}. The value is written into
   * one array of its exact length.
   */
  public static PreparedEvent prepare(String nodeId, Event e) {
    String eventId = e.eventId(nodeId);
    byte[] payload = e.payload();
    boolean json = isJson(payload);
    String reason = e.kind() == EventKind.DEAD_LETTER ? reasonOf(e) : null;
    byte[] priorityField = PRIORITY_FIELD[e.priority().code()];
    // non-JSON payloads are rare: their base64 text is built apart and copied
    byte[] base64 = json ? null : Base64.getEncoder().encode(payload);
    int length = F_EVENT_ID.length + JsonBytes.stringLength(eventId)
        + F_NODE_ID.length + JsonBytes.stringLength(nodeId)
        + F_SEQ.length + JsonBytes.decimalLength(e.seq())
        + F_CLASS_SEQ.length + JsonBytes.decimalLength(e.classSeq())
        + priorityField.length
        + F_SOURCE.length + JsonBytes.stringLength(e.source())
        + F_TOPIC.length + JsonBytes.stringLength(e.topic())
        + F_EVENT_TIME.length + JsonBytes.decimalLength(e.eventTimeMs())
        + F_INGEST_TIME.length + JsonBytes.decimalLength(e.ingestTimeMs())
        + (reason == null ? 0 : F_REASON.length + JsonBytes.stringLength(reason))
        + (json ? F_PAYLOAD.length + payload.length + 1 : F_PAYLOAD_BASE64.length + base64.length + END_BASE64.length);
    byte[] value = new byte[length];
    int p = JsonBytes.write(value, 0, F_EVENT_ID);
    p = JsonBytes.writeString(value, p, eventId);
    p = JsonBytes.write(value, p, F_NODE_ID);
    p = JsonBytes.writeString(value, p, nodeId);
    p = JsonBytes.write(value, p, F_SEQ);
    p = JsonBytes.writeDecimal(value, p, e.seq());
    p = JsonBytes.write(value, p, F_CLASS_SEQ);
    p = JsonBytes.writeDecimal(value, p, e.classSeq());
    p = JsonBytes.write(value, p, priorityField);
    p = JsonBytes.write(value, p, F_SOURCE);
    p = JsonBytes.writeString(value, p, e.source());
    p = JsonBytes.write(value, p, F_TOPIC);
    p = JsonBytes.writeString(value, p, e.topic());
    p = JsonBytes.write(value, p, F_EVENT_TIME);
    p = JsonBytes.writeDecimal(value, p, e.eventTimeMs());
    p = JsonBytes.write(value, p, F_INGEST_TIME);
    p = JsonBytes.writeDecimal(value, p, e.ingestTimeMs());
    if (reason != null) {
      p = JsonBytes.write(value, p, F_REASON);
      p = JsonBytes.writeString(value, p, reason);
    }
    if (json) {
      // the payload is already valid JSON: append its bytes as they are, no re-encoding
      p = JsonBytes.write(value, p, F_PAYLOAD);
      p = JsonBytes.write(value, p, payload);
      value[p++] = '}';
    } else {
      p = JsonBytes.write(value, p, F_PAYLOAD_BASE64);
      p = JsonBytes.write(value, p, base64);
      p = JsonBytes.write(value, p, END_BASE64);
    }
    if (p != length) {
      throw new IllegalStateException("record value of event " + eventId + ": wrote " + p + " of " + length + " bytes");
    }
    byte[] source = e.source().getBytes(StandardCharsets.UTF_8);
    Header eventIdHeader = header(H_EVENT_ID, eventId);
    Header nodeIdHeader = header(H_NODE_ID, nodeId);
    Header seqHeader = new RecordHeader(H_SEQ, JsonBytes.decimal(e.seq()));
    Header sourceHeader = new RecordHeader(H_SOURCE, source);
    Header eventTimeHeader = new RecordHeader(H_EVENT_TIME, JsonBytes.decimal(e.eventTimeMs()));
    Header priorityHeader = PRIORITY_HEADER[e.priority().code()];
    Header classSeqHeader = new RecordHeader(H_CLASS_SEQ, JsonBytes.decimal(e.classSeq()));
    List<Header> headers = reason == null
        ? List.of(eventIdHeader, nodeIdHeader, seqHeader, sourceHeader, eventTimeHeader, priorityHeader, classSeqHeader)
        : List.of(eventIdHeader, nodeIdHeader, seqHeader, sourceHeader, eventTimeHeader, priorityHeader, classSeqHeader,
            header(H_REASON, reason));
    return new PreparedEvent(topicOf(e.kind()), e.seq(), e.classSeq(), source, value, headers);
  }

  /** The topic of an envelope kind. */
  public static String topicOf(EventKind kind) {
    return switch (kind) {
      case EVENT -> TopicSetup.EVENTS;
      case ALERT -> TopicSetup.ALERTS;
      case DEAD_LETTER -> TopicSetup.DEADLETTER;
    };
  }

  private static String reasonOf(Event e) {
    return e.reason() == null || e.reason().isBlank() ? UNSPECIFIED_REASON : e.reason();
  }

  /**
   * True when {@code bytes} hold exactly one JSON value (object, array or scalar) in well-formed
   * UTF-8, optionally surrounded by JSON whitespace: see {@link StrictJson} for the exact rules.
   * Allocation-free.
   */
  public static boolean isJson(byte[] bytes) {
    return StrictJson.isOneValue(bytes);
  }

  private static Header header(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
