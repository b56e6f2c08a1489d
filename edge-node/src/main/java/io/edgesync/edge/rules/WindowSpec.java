package io.edgesync.edge.rules;

import java.util.Objects;

/**
 * A rule's per-source window over the numeric payload field {@code field}, by event time.
 *
 * @param sizeMs     window length, ms (> 0)
 * @param sliding    true: the window ends at each event's time, {@code (t - size, t]};
 *                   false: tumbling, aligned to the epoch, {@code [k*size, (k+1)*size)}
 * @param field      payload field (dotted path) whose numeric value is aggregated
 * @param latenessMs how far behind the newest event time of the source an event may be and
 *                   still count; later events are late (not counted, the rule not evaluated)
 */
public record WindowSpec(long sizeMs, boolean sliding, String field, long latenessMs) {
  public WindowSpec {
    Objects.requireNonNull(field, "field");
    if (sizeMs <= 0 || latenessMs < 0) {
      throw new IllegalArgumentException("window size must be > 0 and lateness >= 0");
    }
  }

  /** A stable text form; window state survives a reload only when this is unchanged. */
  public String describe() {
    return (sliding ? "sliding" : "tumbling") + ":" + sizeMs + ":" + field + ":" + latenessMs;
  }
}
