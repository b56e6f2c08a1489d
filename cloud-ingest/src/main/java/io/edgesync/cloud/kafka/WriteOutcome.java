package io.edgesync.cloud.kafka;

import java.util.Objects;

/**
 * What became of one batch handed to the {@link KafkaEventWriter}. Expected outcomes are values,
 * not exceptions; the ingest endpoint maps them to the replies of docs/PROTOCOL.md.
 *
 * @param kind              committed (200), gap (409), another log (409), not owner (421) or
 *                          unavailable (503)
 * @param committedClassSeq the (node, class) watermark after the batch (committed) or the current
 *                          committed watermark (gap); 0 for unavailable
 * @param written           events newly written to Kafka
 * @param duplicates        events at or below the previous watermark, acknowledged without writing
 * @param message           human-readable detail for gap and unavailable, else empty
 */
public record WriteOutcome(Kind kind, long committedClassSeq, int written, int duplicates, String message) {
  public enum Kind { COMMITTED, GAP, LOG_EPOCH_MISMATCH, NOT_OWNER, UNAVAILABLE }

  public WriteOutcome {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
  }

  public static WriteOutcome committed(long committedClassSeq, int written, int duplicates) {
    return new WriteOutcome(Kind.COMMITTED, committedClassSeq, written, duplicates, "");
  }

  public static WriteOutcome gap(long committedClassSeq, String message) {
    return new WriteOutcome(Kind.GAP, committedClassSeq, 0, 0, message);
  }

  /**
   * The batch comes from another log than the one the (node, class) watermark counts (the node's
   * data folder was recreated, or two edges share one identity): nothing written, nothing taken
   * for a duplicate.
   */
  public static WriteOutcome logEpochMismatch(long committedClassSeq, String message) {
    return new WriteOutcome(Kind.LOG_EPOCH_MISMATCH, committedClassSeq, 0, 0, message);
  }

  /** The node's shard is written by another instance: the edge should try its next endpoint. */
  public static WriteOutcome notOwner(String message) {
    return new WriteOutcome(Kind.NOT_OWNER, 0, 0, 0, message);
  }

  public static WriteOutcome unavailable(String message) {
    return new WriteOutcome(Kind.UNAVAILABLE, 0, 0, 0, message);
  }
}
