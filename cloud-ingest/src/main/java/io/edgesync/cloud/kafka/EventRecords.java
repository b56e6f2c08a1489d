package io.edgesync.cloud.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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

  private static final JsonFactory JSON = JsonFactory.builder()
      .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_CONTENT)
      .build();
  private static final byte[] PAYLOAD_FIELD = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);

  private EventRecords() {}

  /** Builds the record parts of {@code e}, sent by node {@code nodeId}. */
  public static PreparedEvent prepare(String nodeId, Event e) {
    String eventId = e.eventId(nodeId);
    byte[] payload = e.payload();
    boolean json = isJson(payload);
    ByteArrayOutputStream out = new ByteArrayOutputStream(192 + e.source().length() + e.topic().length()
        + eventId.length() + (json ? payload.length : payload.length * 4 / 3 + 24));
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("eventId", eventId);
      g.writeStringField("nodeId", nodeId);
      g.writeNumberField("seq", e.seq());
      g.writeNumberField("classSeq", e.classSeq());
      g.writeStringField("priority", e.priority().label());
      g.writeStringField("source", e.source());
      g.writeStringField("topic", e.topic());
      g.writeNumberField("eventTime", e.eventTimeMs());
      g.writeNumberField("ingestTime", e.ingestTimeMs());
      if (e.kind() == EventKind.DEAD_LETTER) {
        g.writeStringField("reason", reasonOf(e));
      }
      if (json) {
        // the payload is already valid JSON: append its bytes as they are, no re-encoding
        g.flush();
        out.write(PAYLOAD_FIELD);
        out.write(payload);
        out.write('}');
      } else {
        g.writeBinaryField("payloadBase64", payload);
        g.writeEndObject();
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot encode event " + eventId, ex);
    }
    byte[] source = e.source().getBytes(StandardCharsets.UTF_8);
    List<Header> headers = new ArrayList<>(8);
    headers.add(header(H_EVENT_ID, eventId));
    headers.add(header(H_NODE_ID, nodeId));
    headers.add(header(H_SEQ, Long.toString(e.seq())));
    headers.add(new RecordHeader(H_SOURCE, source));
    headers.add(header(H_EVENT_TIME, Long.toString(e.eventTimeMs())));
    headers.add(header(H_PRIORITY, e.priority().label()));
    headers.add(header(H_CLASS_SEQ, Long.toString(e.classSeq())));
    if (e.kind() == EventKind.DEAD_LETTER) {
      headers.add(header(H_REASON, reasonOf(e)));
    }
    return new PreparedEvent(topicOf(e.kind()), e.seq(), e.classSeq(), source, out.toByteArray(), headers);
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
