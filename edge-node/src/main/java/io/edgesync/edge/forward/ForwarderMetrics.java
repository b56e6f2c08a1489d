package io.edgesync.edge.forward;

import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The forwarder's meters. Names are dotted Micrometer names; the Prometheus registry exports
 * them as {@code edge_forward_batches_total}, {@code edge_forward_events_total},
 * {@code edge_forward_batch_events}, {@code edge_forward_batch_bytes},
 * {@code edge_forward_inflight}, {@code edge_forward_link_up}, {@code edge_forward_retries_total},
 * {@code edge_forward_rejected_total}, {@code edge_forward_stalls_total}, {@code edge_forward_ack_seconds}, {@code edge_e2e_seconds} (histogram)
 * and {@code edge_e2e_percentile_seconds{quantile}} (p50/p95/p99 of the recent window).
 *
 * <p>Thread-safe (Micrometer meters are).
 */
final class ForwarderMetrics {
  enum Result { OK, GAP, NOT_OWNER, RETRYABLE, REJECTED, LOG_BEHIND, LOG_EPOCH }

  static final double[] E2E_QUANTILES = {0.5, 0.95, 0.99};

  private final MeterRegistry registry;
  private final Map<Result, Counter> batches = new EnumMap<>(Result.class);
  private final Map<Priority, Counter> eventsAcked = new EnumMap<>(Priority.class);
  private final DistributionSummary batchEvents;
  private final DistributionSummary batchBytes;
  private final Counter retries;
  private final Timer ack;
  private final Timer endToEnd;
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger linkUp = new AtomicInteger();
  private final AtomicInteger admittedInFlight = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong rateLimit = new java.util.concurrent.atomic.AtomicLong();
  private final Counter throttled;

  ForwarderMetrics(MeterRegistry registry, int maxInFlight, long maxEventsPerSec) {
    this.registry = registry;
    admittedInFlight.set(maxInFlight);
    rateLimit.set(maxEventsPerSec);
    Gauge.builder("edge.forward.admission.inflight", admittedInFlight, AtomicInteger::get)
        .description("Batches the node may have in flight now: forward.maxInFlight, lowered by the cloud's admission hint")
        .register(registry);
    Gauge.builder("edge.forward.rate.limit", rateLimit, java.util.concurrent.atomic.AtomicLong::get)
        .description("Events/s cap for normal and bulk batches now (forward.maxEventsPerSec or the cloud's hint); 0 = none")
        .register(registry);
    throttled = Counter.builder("edge.forward.throttled")
        .description("Times a normal or bulk batch waited for the rate cap")
        .register(registry);
    for (Result r : Result.values()) {
      batches.put(r, Counter.builder("edge.forward.batches")
          .description("Batch answers by result: ok (200), gap (409), not_owner (421), retryable (503, network, timeout), rejected (400/403/413), log_behind (200 whose watermark is past the end of the log: the log was reset), log_epoch (409 LOG_EPOCH_MISMATCH: the cloud's watermark counts another log)")
          .tag("result", r.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry));
    }
    for (Priority p : Priority.values()) {
      eventsAcked.put(p, Counter.builder("edge.forward.events")
          .description("Events the cloud acknowledged as committed")
          .tag("class", p.label())
          .register(registry));
    }
    batchEvents = DistributionSummary.builder("edge.forward.batch.events")
        .description("Events per batch sent")
        .register(registry);
    batchBytes = DistributionSummary.builder("edge.forward.batch.bytes")
        .description("Frame bytes per batch as sent (after compression)")
        .baseUnit("bytes")
        .register(registry);
    retries = Counter.builder("edge.forward.retries")
        .description("Backoff episodes: each is followed by a retry")
        .register(registry);
    ack = Timer.builder("edge.forward.ack")
        .description("From a batch request sent to its 200 answer")
        .register(registry);
    endToEnd = Timer.builder("edge.e2e")
        .description("From the ingest of a batch's last event to the cloud's acknowledgement")
        .publishPercentileHistogram()
        .publishPercentiles(E2E_QUANTILES)
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
    // Prometheus exports the histogram and ignores client-side percentiles of the same meter,
    // so the recent-window p50/p95/p99 are published as gauges too (for dashboards without PromQL)
    for (double q : E2E_QUANTILES) {
      Gauge.builder("edge.e2e.percentile", this, m -> m.e2ePercentileSeconds(q))
          .description("Recent-window percentile of edge_e2e_seconds (client-side, about the last 2 minutes)")
          .tag("quantile", Double.toString(q))
          .baseUnit("seconds")
          .register(registry);
    }
    Gauge.builder("edge.forward.inflight", inFlight, AtomicInteger::get)
        .description("Batches being built or awaiting an answer (bounded by forward.maxInFlight)")
        .register(registry);
    Gauge.builder("edge.forward.link.up", linkUp, AtomicInteger::get)
        .description("1 while the last batch to the current endpoint succeeded, else 0")
        .register(registry);
  }

  /** The admission now in force (after a hint from the cloud). */
  void admission(int inFlight, long maxEventsPerSec) {
    admittedInFlight.set(inFlight);
    rateLimit.set(maxEventsPerSec);
  }

  void throttled() {
    throttled.increment();
  }

  /** The p50/p95/p99 of the recent window of {@code edge.e2e}, in seconds; 0 when nothing was recorded. */
  double e2ePercentileSeconds(double quantile) {
    for (ValueAtPercentile v : endToEnd.takeSnapshot().percentileValues()) {
      if (v.percentile() == quantile) {
        return v.value(TimeUnit.SECONDS);
      }
    }
    return 0;
  }

  void batch(Result r) {
    batches.get(r).increment();
  }

  void sent(int events, int frameBytes) {
    batchEvents.record(events);
    batchBytes.record(frameBytes);
  }

  void acknowledged(Priority p, long events, long ackNanos, long lastIngestMs, long nowMs) {
    if (events > 0) {
      eventsAcked.get(p).increment(events);
    }
    ack.record(ackNanos, TimeUnit.NANOSECONDS);
    endToEnd.record(Math.max(0, nowMs - lastIngestMs), TimeUnit.MILLISECONDS);
  }

  void retry() {
    retries.increment();
  }

  /** A class held out of the drain: {@code kind} is log_read, log_hole, gap_loop, log_behind_cloud or log_epoch. */
  void stall(Priority p, String kind) {
    Counter.builder("edge.forward.stalls")
        .description("Times a class was held back because its log or its cloud watermark is inconsistent")
        .tag("class", p.label())
        .tag("kind", kind)
        .register(registry)
        .increment();
  }

  void rejected(String reason) {
    Counter.builder("edge.forward.rejected")
        .description("Batches the cloud refused as invalid (400), forbidden (403) or too large (413)")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }
}
