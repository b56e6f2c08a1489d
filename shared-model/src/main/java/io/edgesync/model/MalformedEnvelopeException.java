package io.edgesync.model;

/** The bytes are not a valid envelope. Permanent: retrying the same bytes cannot help. */
public final class MalformedEnvelopeException extends RuntimeException {
  public MalformedEnvelopeException(String message) {
    super(message);
  }
}
