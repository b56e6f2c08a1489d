package io.edgesync.cloud.kafka;

import java.util.Objects;

/**
 * Settings of the {@link KafkaEventWriter}; see docs/CONFIG-cloud.md for the keys.
 *
 * @param bootstrap        Kafka bootstrap servers
 * @param transactionalId  transactional.id of the one producer (a newer instance fences this one)
 * @param queueCapacity    batches waiting for the writer thread; when full: 503
 * @param maxTxnBatches    batches committed together in one transaction
 * @param gapWaitMs        how long a batch above watermark + 1 is parked waiting for its predecessor
 * @param maxParkedBatches parked batches over all nodes; beyond: immediate 409
 * @param timeoutMs        bound of every blocking Kafka call
 * @param retryInitialMs   first back-off while the producer cannot be re-created
 * @param retryMaxMs       back-off cap
 */
public record WriterOptions(
    String bootstrap,
    String transactionalId,
    int queueCapacity,
    int maxTxnBatches,
    long gapWaitMs,
    int maxParkedBatches,
    long timeoutMs,
    long retryInitialMs,
    long retryMaxMs) {
  public WriterOptions {
    Objects.requireNonNull(bootstrap, "bootstrap");
    Objects.requireNonNull(transactionalId, "transactionalId");
    if (queueCapacity < 1 || maxTxnBatches < 1 || gapWaitMs < 0 || maxParkedBatches < 0 || timeoutMs < 1000
        || retryInitialMs < 1 || retryMaxMs < retryInitialMs) {
      throw new IllegalArgumentException("invalid writer options " + this);
    }
  }
}
