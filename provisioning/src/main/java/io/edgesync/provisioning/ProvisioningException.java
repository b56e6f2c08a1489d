package io.edgesync.provisioning;

/**
 * An expected failure of a provisioning command (missing fleet, duplicate node, unreadable key).
 * The message is one line, ready to print to an operator as is; the CLI maps it to exit code 1.
 */
public final class ProvisioningException extends RuntimeException {
  public ProvisioningException(String message) {
    super(message);
  }

  public ProvisioningException(String message, Throwable cause) {
    super(message, cause);
  }
}
