package io.edgesync.edge.log;

import io.edgesync.model.Priority;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The log's disk quota (keys {@code buffer.*}) and each class's policy at it
 * ({@code streams.<class>.overflow}). The quota counts logical bytes: the envelopes of live
 * (unreleased, not evicted) log entries.
 *
 * @param quotaBytes    most live envelope bytes; an append that would pass it waits
 * @param highWatermark fraction of the quota above which drop-oldest classes are evicted and,
 *                      when nothing is left to evict, publishing sockets are paused
 * @param lowWatermark  fraction eviction brings the log down to, and below which paused sockets resume
 * @param policies      overflow policy per class; critical is always {@link OverflowPolicy#BACKPRESSURE}
 */
public record QuotaSettings(long quotaBytes, double highWatermark, double lowWatermark,
    Map<Priority, OverflowPolicy> policies) {
  public static final long DEFAULT_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;
  public static final double DEFAULT_HIGH_WATERMARK = 0.95;
  public static final double DEFAULT_LOW_WATERMARK = 0.90;

  public QuotaSettings {
    if (quotaBytes < 1) {
      throw new IllegalArgumentException("quotaBytes must be >= 1");
    }
    if (!(lowWatermark > 0 && lowWatermark < highWatermark && highWatermark <= 1)) {
      throw new IllegalArgumentException("need 0 < lowWatermark < highWatermark <= 1");
    }
    Map<Priority, OverflowPolicy> copy = new EnumMap<>(Priority.class);
    copy.putAll(defaultPolicies());
    copy.putAll(Objects.requireNonNull(policies, "policies"));
    if (copy.get(Priority.CRITICAL) != OverflowPolicy.BACKPRESSURE) {
      throw new IllegalArgumentException("critical is never evicted: its overflow policy must be backpressure");
    }
    policies = Map.copyOf(copy);
  }

  /** The defaults: 2 GiB, 0.95 / 0.90, critical and normal backpressure, bulk drop-oldest. */
  public static QuotaSettings defaults() {
    return new QuotaSettings(DEFAULT_QUOTA_BYTES, DEFAULT_HIGH_WATERMARK, DEFAULT_LOW_WATERMARK, defaultPolicies());
  }

  public static Map<Priority, OverflowPolicy> defaultPolicies() {
    return Map.of(Priority.CRITICAL, OverflowPolicy.BACKPRESSURE, Priority.NORMAL, OverflowPolicy.BACKPRESSURE,
        Priority.BULK, OverflowPolicy.DROP_OLDEST);
  }

  public OverflowPolicy policy(Priority p) {
    return policies.get(p);
  }

  public long highBytes() {
    return (long) (quotaBytes * highWatermark);
  }

  public long lowBytes() {
    return (long) (quotaBytes * lowWatermark);
  }
}
