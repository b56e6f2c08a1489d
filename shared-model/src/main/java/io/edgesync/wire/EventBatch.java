package io.edgesync.wire;

import io.edgesync.model.Priority;
import java.util.List;
import java.util.Objects;

/**
 * A run of envelopes of one node and one priority class whose class sequence numbers are
 * contiguous: {@code firstClassSeq .. firstClassSeq + envelopes.size() - 1}.
 *
 * @param nodeId        the sending node; the cloud checks it against the client certificate CN
 * @param priority      the class of every envelope in the batch
 * @param firstClassSeq class sequence number of the first envelope (>= 1)
 * @param envelopes     encoded envelopes (see {@link io.edgesync.model.EnvelopeCodec}),
 *                      compared by identity
 * @param skipGap       frame flag SKIP (docs/PROTOCOL.md): the class sequence numbers between the
 *                      cloud's watermark and {@code firstClassSeq} were evicted at the edge (disk
 *                      quota), so the receiver accepts the jump instead of answering 409
 * @param logEpoch      the identity of the edge's log (random, drawn when the data folder was
 *                      created; frame flag EPOCH), 0 for none: the cloud refuses a batch of a log
 *                      other than the one its watermark counts, instead of taking its events for
 *                      duplicates
 */
public record EventBatch(String nodeId, Priority priority, long firstClassSeq, List<byte[]> envelopes,
    boolean skipGap, long logEpoch) {
  public EventBatch {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(priority, "priority");
    envelopes = List.copyOf(envelopes);
    if (envelopes.isEmpty()) {
      throw new IllegalArgumentException("a batch holds at least one event");
    }
    if (firstClassSeq < 1) {
      throw new IllegalArgumentException("firstClassSeq must be >= 1 (got " + firstClassSeq + ")");
    }
  }

  /** A batch without the SKIP flag and without a log epoch. */
  public EventBatch(String nodeId, Priority priority, long firstClassSeq, List<byte[]> envelopes) {
    this(nodeId, priority, firstClassSeq, envelopes, false, 0);
  }

  /** A batch without a log epoch. */
  public EventBatch(String nodeId, Priority priority, long firstClassSeq, List<byte[]> envelopes, boolean skipGap) {
    this(nodeId, priority, firstClassSeq, envelopes, skipGap, 0);
  }

  /** Class sequence number of the last envelope. */
  public long lastClassSeq() {
    return firstClassSeq + envelopes.size() - 1;
  }

  public int size() {
    return envelopes.size();
  }
}
