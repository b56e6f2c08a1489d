package io.edgesync.cloud.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Supplier;

/**
 * The writers' meters (names in docs/CLOUD.md), shared by the writers of every shard. Thread-safe.
 * The gauges over all shards are registered by {@link ShardedWriter}.
 */
final class WriterMetrics {
  final Counter eventsWritten;
  final Counter dedupEvents;
  final Counter queueFull;
  final Counter producerRestarts;
  final Counter notOwner;
  final Counter hiddenWatermarks;
  final Counter logEpochMismatch;
  final Timer txn;
  final DistributionSummary txnBatches;
  private final MeterRegistry registry;

  WriterMetrics(MeterRegistry registry) {
    this.registry = registry;
    eventsWritten = Counter.builder("cloud_events_written").description("events newly written to edge.events")
        .register(registry);
    dedupEvents = Counter.builder("cloud_dedup_events")
        .description("events at or below the watermark, acknowledged without writing").register(registry);
    queueFull = Counter.builder("cloud_ingest_queue_full").description("batches refused with 503: writer queue full")
        .register(registry);
    producerRestarts = Counter.builder("cloud_kafka_producer_restarts")
        .description("transactional producers re-created after a fatal or ambiguous error").register(registry);
    notOwner = Counter.builder("cloud_ingest_not_owner")
        .description("batches answered 421 NOT_OWNER: their node's shard is owned by another instance").register(registry);
    hiddenWatermarks = Counter.builder("cloud_watermarks_hidden")
        .description("watermarks a reload of edge.watermarks showed below what this instance had committed; kept")
        .register(registry);
    logEpochMismatch = Counter.builder("cloud_log_epoch_mismatches")
        .description("batches answered 409 LOG_EPOCH_MISMATCH: from another edge log than the one their watermark counts")
        .register(registry);
    txn = Timer.builder("cloud_kafka_txn").description("one group-commit transaction, begin to commit")
        .publishPercentileHistogram().register(registry);
    txnBatches = DistributionSummary.builder("cloud_kafka_txn_batches").description("batches per transaction")
        .register(registry);
  }

  /** Registers the gauges over all shards. */
  void gauges(Supplier<Number> queueDepth, Supplier<Number> parked, Supplier<Number> ready, Supplier<Number> owned) {
    Gauge.builder("cloud_ingest_queue_depth", queueDepth).description("batches waiting for the Kafka writer")
        .register(registry);
    Gauge.builder("cloud_parked_batches", parked).description("batches waiting for their predecessor")
        .register(registry);
    Gauge.builder("cloud_kafka_writer_ready", ready).description("1 when the producer of every shard this instance owns is ready")
        .register(registry);
    Gauge.builder("cloud_ingest_owned_shards", owned).description("shards (of edge.ingest-shards) this instance writes for")
        .register(registry);
  }

  /** Counts class sequence numbers a SKIP batch jumped over (evicted at the edge {@code node}). */
  void skipped(String node, long count) {
    Counter.builder("cloud_skipped_events").tag("node", node)
        .description("class sequence numbers skipped by SKIP batches: events evicted at the edge (disk quota)")
        .register(registry).increment(count);
  }

  /** Counts a Kafka error in stage {@code init|send|commit|abort|recover}. */
  void kafkaError(String stage) {
    Counter.builder("cloud_kafka_errors").tag("stage", stage).description("Kafka errors by stage")
        .register(registry).increment();
  }
}
