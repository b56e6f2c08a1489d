package io.edgesync.edge.rules;

import dev.cel.runtime.CelVariableResolver;
import io.edgesync.model.Event;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * The CEL variables of one event, resolved lazily: the payload is parsed once, and only
 * when a schema or an expression needs it; {@code raw} is decoded only when used.
 * One instance per event, used on one thread.
 */
final class EventContext implements CelVariableResolver {
  private static final Map<String, Object> EMPTY_WINDOW = WindowView.EMPTY.asCel();

  final Event event;
  private Map<String, Object> payload;
  private boolean parsed;
  private Optional<Object> topic;
  private Optional<Object> source;
  private Optional<Object> eventTime;
  private Optional<Object> raw;
  private Optional<Object> payloadValue;
  private Optional<Object> window = Optional.of(EMPTY_WINDOW);
  /** The window view of the last evaluation (null without a window), for alert bodies. */
  WindowView lastWindow;

  EventContext(Event event) {
    this.event = event;
  }

  /** The payload as a JSON object, or null when it is not one. */
  Map<String, Object> json() {
    if (!parsed) {
      parsed = true;
      payload = PayloadJson.parseObject(event.payload());
    }
    return payload;
  }

  /** Sets {@code window} for the next evaluation. */
  void window(WindowView view) {
    lastWindow = view;
    window = Optional.of(view == null ? EMPTY_WINDOW : view.asCel());
  }

  @Override
  public Optional<Object> find(String name) {
    switch (name) {
      case "payload" -> {
        if (payloadValue == null) {
          Map<String, Object> m = json();
          payloadValue = Optional.of(m == null ? Map.of() : m);
        }
        return payloadValue;
      }
      case "topic" -> {
        if (topic == null) {
          topic = Optional.of(event.topic());
        }
        return topic;
      }
      case "source" -> {
        if (source == null) {
          source = Optional.of(event.source());
        }
        return source;
      }
      case "eventTime" -> {
        if (eventTime == null) {
          eventTime = Optional.of(event.eventTimeMs());
        }
        return eventTime;
      }
      case "window" -> {
        return window;
      }
      case "raw" -> {
        if (raw == null) {
          raw = Optional.of(new String(event.payload(), StandardCharsets.UTF_8));
        }
        return raw;
      }
      default -> {
        return Optional.empty();
      }
    }
  }
}
