package io.edgesync.wire;

/**
 * A batch frame that cannot be decoded. Permanent for these bytes: the cloud answers
 * 400 with {@link #reason()} and writes nothing; the edge must rebuild the batch from its
 * log, never resend the same bytes.
 */
public final class BatchFormatException extends RuntimeException {
  /** Machine-readable reasons, sent as the {@code error} field of the reply. */
  public enum Reason { BAD_MAGIC, UNSUPPORTED_VERSION, TRUNCATED, CRC_MISMATCH, BAD_COMPRESSION, TOO_LARGE, BAD_SEQUENCE, BAD_ENVELOPE,
    /** the flags byte has a bit this side does not know (only bit 0, SKIP, is defined) */
    UNSUPPORTED_FLAGS }

  private final Reason reason;

  public BatchFormatException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
