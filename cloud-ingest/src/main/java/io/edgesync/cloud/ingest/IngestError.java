package io.edgesync.cloud.ingest;

/**
 * A request the ingest endpoint refuses (a batch, or an operator's rollout request), with the HTTP
 * status and the {@code error} code of docs/PROTOCOL.md / docs/CLOUD.md. 4xx are permanent for these
 * bytes; 503 is retryable. Carries no stack trace:
 * it is an expected outcome, created per bad request.
 */
public final class IngestError extends RuntimeException {
  private final int status;
  private final String code;

  public IngestError(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  /** HTTP status of the reply. */
  public int status() {
    return status;
  }

  /** The reply's {@code error} field, e.g. {@code CRC_MISMATCH}. */
  public String code() {
    return code;
  }
}
