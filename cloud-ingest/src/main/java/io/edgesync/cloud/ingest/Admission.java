package io.edgesync.cloud.ingest;

import io.vertx.core.json.JsonObject;
import java.util.function.ToDoubleFunction;

/**
 * The admission hint every batch reply carries (docs/PROTOCOL.md), so that a fleet coming back
 * online all at once does not flood the ingest tier (issue 4, "reconnect without a storm"):
 * <ul>
 *   <li>{@code maxInFlight}: batches a node may have in flight, from how full the queue of the
 *       node's shard writer is: the configured maximum below 25 %, half of it below 50 %, a
 *       quarter below 75 %, else 1;</li>
 *   <li>{@code maxEventsPerSec}: {@code ingest.admissionEventsPerSec} (what this instance takes)
 *       shared equally by the nodes seen in the last 30 s; 0 = no limit.</li>
 * </ul>
 * The edge never goes above its own {@code forward.maxInFlight} / {@code forward.maxEventsPerSec}
 * and does not rate-limit its critical class. Thread-safe.
 */
public final class Admission {
  static final long ACTIVE_WINDOW_MS = 30_000;
  private static final long RECOUNT_MS = 1_000;

  private final int maxInFlight;
  private final long eventsPerSec;
  private final ToDoubleFunction<String> queueFill;
  private final NodeActivity activity;
  private volatile int activeNodes = 1;
  private volatile long countedAtMs;

  /**
   * @param maxInFlight  the most batches in flight a node is ever told (>= 1)
   * @param eventsPerSec events/s this instance shares among its active nodes; 0 = no limit
   * @param queueFill    0..1: how full the writer queue of a node's shard is
   */
  public Admission(int maxInFlight, long eventsPerSec, ToDoubleFunction<String> queueFill, NodeActivity activity) {
    if (maxInFlight < 1 || eventsPerSec < 0) {
      throw new IllegalArgumentException("maxInFlight >= 1 and eventsPerSec >= 0");
    }
    this.maxInFlight = maxInFlight;
    this.eventsPerSec = eventsPerSec;
    this.queueFill = queueFill;
    this.activity = activity;
  }

  /** The hint for a reply to {@code nodeId}: {@code {"maxInFlight":N,"maxEventsPerSec":R}}. */
  public JsonObject hint(String nodeId) {
    return new JsonObject()
        .put("maxInFlight", inFlightFor(queueFill.applyAsDouble(nodeId), maxInFlight))
        .put("maxEventsPerSec", rateFor(eventsPerSec, activeNodes()));
  }

  static int inFlightFor(double fill, int max) {
    if (fill < 0.25) {
      return max;
    }
    if (fill < 0.5) {
      return Math.max(1, max / 2);
    }
    if (fill < 0.75) {
      return Math.max(1, max / 4);
    }
    return 1;
  }

  static long rateFor(long total, int activeNodes) {
    return total == 0 ? 0 : Math.max(1, total / Math.max(1, activeNodes));
  }

  private int activeNodes() {
    long now = System.currentTimeMillis();
    if (eventsPerSec > 0 && now - countedAtMs >= RECOUNT_MS) {
      countedAtMs = now;
      long since = now - ACTIVE_WINDOW_MS;
      activeNodes = Math.max(1, activity.activeSince(since));
    }
    return activeNodes;
  }
}
