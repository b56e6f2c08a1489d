package io.edgesync.edge.mqtt;

import io.edgesync.edge.log.AppendResult;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.vertx.core.Future;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * What {@link MqttIngest} asks, per PUBLISH, after the {@link Event} is built and before the
 * log append: the local rules and validation (edge.rules) plug in here. Called on the
 * connection's event loop: must take microseconds and never block.
 */
@FunctionalInterface
public interface IngestHook {
  /** Stores every event as built. */
  IngestHook NONE = Outcome::store;

  /**
   * Decides what to store for {@code event} (seq 0, not yet durable).
   *
   * @throws IllegalArgumentException when the event cannot be encoded (the connection is closed)
   */
  Outcome onEvent(Event event);

  /**
   * The decision for one event.
   *
   * @param envelope    the envelope to append; null = do not store (the publisher is still acknowledged)
   * @param priority    the class the event is counted under
   * @param dedup       whether the append carries the event's dedup key (false for dead
   *                    letters: a corrected event with the same id must not be refused)
   * @param afterAppend given the append's future, returns the future the acknowledgement
   *                    waits for (e.g. also a dead-letter copy); runs follow-up work such as
   *                    alerts once the event is durable (not for a duplicate)
   */
  record Outcome(byte[] envelope, Priority priority, boolean dedup, UnaryOperator<Future<AppendResult>> afterAppend) {
    public Outcome {
      Objects.requireNonNull(priority, "priority");
      Objects.requireNonNull(afterAppend, "afterAppend");
    }

    /** Store {@code e} unchanged. */
    public static Outcome store(Event e) {
      return new Outcome(EnvelopeCodec.encode(e), e.priority(), true, UnaryOperator.identity());
    }

    /** Do not store; acknowledge. */
    public static Outcome drop(Priority priority) {
      return new Outcome(null, priority, false, UnaryOperator.identity());
    }

    public boolean dropped() {
      return envelope == null;
    }
  }
}
