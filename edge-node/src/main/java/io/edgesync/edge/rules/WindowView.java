package io.edgesync.edge.rules;

import java.util.Map;

/**
 * The aggregates of one window as a rule sees them ({@code window.*} in CEL). Empty window:
 * count 0 and every other value 0.0.
 *
 * @param count number of values
 * @param sum   sum of the values
 * @param min   smallest value
 * @param max   largest value
 * @param avg   sum / count
 * @param rate  change per second between the earliest and the latest value by event time
 *              ({@code (vLast - vFirst) / ((tLast - tFirst) / 1000)}); 0 with fewer than two
 *              values or no time between them
 */
public record WindowView(long count, double sum, double min, double max, double avg, double rate) {
  public static final WindowView EMPTY = new WindowView(0, 0, 0, 0, 0, 0);

  /** The CEL value of {@code window}: count is an int, the rest doubles. */
  public Map<String, Object> asCel() {
    return Map.of("count", count, "sum", sum, "min", min, "max", max, "avg", avg, "rate", rate);
  }

  static WindowView of(long count, double sum, double min, double max, long tFirst, double vFirst, long tLast,
      double vLast) {
    if (count == 0) {
      return EMPTY;
    }
    double rate = count >= 2 && tLast > tFirst ? (vLast - vFirst) / ((tLast - tFirst) / 1000.0) : 0.0;
    return new WindowView(count, sum, min, max, sum / count, rate);
  }
}
