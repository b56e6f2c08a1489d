package io.edgesync.edge.log;

import io.edgesync.model.Priority;
import java.util.List;

/**
 * What the forwarder needs from the durable event log. The log keeps each priority class
 * as its own run of class sequence numbers ({@code 1, 2, 3, ...}, gap-free), keyed
 * {@code class byte + classSeq (8 bytes, big-endian)} in the {@code log} column family.
 *
 * <p>Thread-safety: every method is safe from any thread. Methods marked blocking touch
 * RocksDB and must run on a worker, never on an event loop.
 */
public interface LogReader {

  /**
   * Reads envelopes of class {@code c} in class-sequence order starting at
   * {@code fromClassSeq} (inclusive), stopping after {@code maxEvents} envelopes or once
   * {@code maxBytes} is reached (at least one envelope is returned when one exists).
   * Events released beyond the retained ones or evicted are not returned: a read from below
   * them starts at the first event still kept. Never returns an event above
   * {@link #lastClassSeq(Priority)} as it was when the read began, even when it is already
   * stored: callers take the cloud's watermark above {@code lastClassSeq} for a log that was
   * wiped (docs/FORWARDER.md). Blocking.
   *
   * @return encoded envelopes (see {@link io.edgesync.model.EnvelopeCodec}); empty when none
   */
  List<byte[]> read(Priority c, long fromClassSeq, int maxEvents, int maxBytes);

  /**
   * This log's epoch: random, drawn when the log was created (never 0), so that the cloud tells
   * the events of a recreated log from the old one's under the same node id; 0 = none (the
   * frames then carry no epoch). Non-blocking.
   */
  default long logEpoch() {
    return 0;
  }

  /** Highest class sequence number durably appended for {@code c}; 0 when none ever was. Non-blocking. */
  long lastClassSeq(Priority c);

  /** Highest class sequence number of {@code c} the cloud has committed (persisted); 0 initially. Non-blocking. */
  long releasedClassSeq(Priority c);

  /**
   * First class sequence number of {@code c} still in the log: everything below it was either
   * released (committed by the cloud) or evicted at the disk quota. The forwarder sends the
   * batch starting here with the SKIP flag when it is above the cloud's watermark + 1.
   * Non-blocking.
   */
  default long firstClassSeq(Priority c) {
    return releasedClassSeq(c) + 1;
  }

  /**
   * Records that the cloud committed every event of {@code c} up to {@code classSeq}:
   * persists the watermark and deletes that range from the log. A value at or below the
   * current watermark is ignored. Blocking.
   */
  void release(Priority c, long classSeq);

  /**
   * Registers {@code listener}, called after every durable group commit (on the writer
   * thread; it must only schedule work, never block). Used to wake the forwarder.
   */
  void onDurable(Runnable listener);
}
