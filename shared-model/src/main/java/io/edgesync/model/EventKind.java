package io.edgesync.model;

/**
 * What an envelope carries, which decides its Kafka topic: {@code edge.events},
 * {@code edge.alerts} or {@code edge.deadletter}. The code is stored in bits 1-2 of the
 * envelope flags; never renumber.
 */
public enum EventKind {
  /** A device event. */
  EVENT(0),
  /** An alert raised by a local rule; its payload is the alert JSON. */
  ALERT(1),
  /** An event that failed validation; it carries the reason. */
  DEAD_LETTER(2);

  private final int code;

  EventKind(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static EventKind fromCode(int code) {
    for (EventKind k : values()) {
      if (k.code == code) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown event kind " + code);
  }
}
