package io.edgesync.wire;

import io.edgesync.model.Priority;
import java.util.Objects;

/**
 * A decoded batch frame whose envelopes were not copied out of the body: envelope {@code i} is
 * {@code body()[envelopeOffset(i), envelopeOffset(i) + envelopeLength(i))}, ready for
 * {@link io.edgesync.model.EnvelopeCodec#decode(byte[], int, int)}. The receiver's view of a
 * frame (see {@link BatchCodec#decodeView}); {@link EventBatch} is the sender's.
 *
 * <p>Immutable by convention: the body is the inflated body, or the frame itself when the body
 * was sent uncompressed, and nobody writes into it. Not a record, so that equality never
 * compares (or seems to compare) the arrays. Confined to the thread that decoded it.
 */
public final class BatchView {
  private final String nodeId;
  private final Priority priority;
  private final long firstClassSeq;
  private final boolean skipGap;
  private final long logEpoch;
  private final byte[] body;
  /** Envelope i: offset at [2i], length at [2i + 1]. */
  private final int[] spans;

  BatchView(String nodeId, Priority priority, long firstClassSeq, boolean skipGap, long logEpoch, byte[] body,
      int[] spans) {
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.priority = Objects.requireNonNull(priority, "priority");
    this.firstClassSeq = firstClassSeq;
    this.skipGap = skipGap;
    this.logEpoch = logEpoch;
    this.body = body;
    this.spans = spans;
  }

  /** The sending node, as the frame claims it. */
  public String nodeId() {
    return nodeId;
  }

  /** The class of every envelope. */
  public Priority priority() {
    return priority;
  }

  /** Class sequence number of the first envelope (>= 1). */
  public long firstClassSeq() {
    return firstClassSeq;
  }

  /** Frame flag SKIP (see {@link EventBatch#skipGap()}). */
  public boolean skipGap() {
    return skipGap;
  }

  /** The sending log's epoch (frame flag EPOCH), 0 when the frame has none (see {@link EventBatch#logEpoch()}). */
  public long logEpoch() {
    return logEpoch;
  }

  /** Number of envelopes (>= 1). */
  public int size() {
    return spans.length / 2;
  }

  /** The array holding every envelope; read only. */
  public byte[] body() {
    return body;
  }

  /** Where envelope {@code i} starts in {@link #body()}. */
  public int envelopeOffset(int i) {
    return spans[2 * i];
  }

  /** Bytes of envelope {@code i}. */
  public int envelopeLength(int i) {
    return spans[2 * i + 1];
  }
}
