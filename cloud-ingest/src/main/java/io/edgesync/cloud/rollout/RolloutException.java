package io.edgesync.cloud.rollout;

/**
 * An operator request that cannot be done, with the HTTP status and code it maps to
 * (409 CONFLICT for a state that does not allow it, 400 BAD_REQUEST for a bad body, 404 for an
 * unknown group, 503 when Kafka does not answer). Permanent except 503.
 */
public final class RolloutException extends RuntimeException {
  private final int status;
  private final String code;

  public RolloutException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
