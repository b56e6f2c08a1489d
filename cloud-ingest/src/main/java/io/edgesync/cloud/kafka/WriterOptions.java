package io.edgesync.cloud.kafka;

import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Settings of the {@link KafkaEventWriter}; see docs/CONFIG-cloud.md for the keys.
 *
 * @param bootstrap        Kafka bootstrap servers
 * @param transactionalId  transactional.id of the producer (its shard's; a newer holder fences this one)
 * @param queueCapacity    batches waiting for the writer thread; when full: 503
 * @param maxTxnBatches    batches committed together in one transaction
 * @param txnIntervalMs    least time between the starts of two transactions; batches arriving
 *                         meanwhile join the next one (0: start as soon as the last commit returned)
 * @param gapWaitMs        how long a batch above watermark + 1 is parked waiting for its predecessor
 * @param maxParkedBatches parked batches over all nodes; beyond: immediate 409
 * @param timeoutMs        bound of every blocking Kafka call
 * @param retryInitialMs   first back-off while the producer cannot be re-created
 * @param retryMaxMs       back-off cap
 * @param fencedWaitMs     after a fence by another instance, how long before taking the id back
 * @param compression      {@code compression.type} of the producers, one of {@link #COMPRESSIONS}
 * @param clientProperties extra settings for every Kafka client (security: SASL, TLS); ours win
 */
public record WriterOptions(
    String bootstrap,
    String transactionalId,
    int queueCapacity,
    int maxTxnBatches,
    long txnIntervalMs,
    long gapWaitMs,
    int maxParkedBatches,
    long timeoutMs,
    long retryInitialMs,
    long retryMaxMs,
    long fencedWaitMs,
    String compression,
    ClientProperties clientProperties) {
  /** The accepted {@code kafka.compression} values, the default first (docs/CONFIG-cloud.md). */
  public static final List<String> COMPRESSIONS = List.of("lz4", "zstd", "none");

  public WriterOptions {
    Objects.requireNonNull(bootstrap, "bootstrap");
    Objects.requireNonNull(transactionalId, "transactionalId");
    Objects.requireNonNull(clientProperties, "clientProperties");
    if (!COMPRESSIONS.contains(compression)) {
      throw new IllegalArgumentException("compression must be one of " + COMPRESSIONS + " (got " + compression + ")");
    }
    if (queueCapacity < 1 || maxTxnBatches < 1 || txnIntervalMs < 0 || gapWaitMs < 0 || maxParkedBatches < 0 || timeoutMs < 1000
        || retryInitialMs < 1 || retryMaxMs < retryInitialMs || fencedWaitMs < 0) {
      throw new IllegalArgumentException("invalid writer options " + this);
    }
  }

  /** The client properties plus the bootstrap servers: the base of every Kafka client we create. */
  public Properties kafkaProperties() {
    return clientProperties.with(bootstrap);
  }

  /**
   * {@code transaction.timeout.ms} of the writers' producers: twice {@link #timeoutMs}, at least
   * 30 s. Kafka aborts a transaction of ours left open longer than this.
   */
  public long transactionTimeoutMs() {
    return Math.max(30_000, 2 * timeoutMs);
  }

  /** {@link #txnIntervalMs} in nanoseconds. */
  public long txnIntervalNanos() {
    return TimeUnit.MILLISECONDS.toNanos(txnIntervalMs);
  }

  /** A copy with another transactional id (a shard's). */
  public WriterOptions withTransactionalId(String id) {
    return new WriterOptions(bootstrap, id, queueCapacity, maxTxnBatches, txnIntervalMs, gapWaitMs, maxParkedBatches, timeoutMs,
        retryInitialMs, retryMaxMs, fencedWaitMs, compression, clientProperties);
  }
}
