package io.edgesync.config;

/**
 * A configuration mistake. The message is one line naming the file and the key, ready to
 * print to an operator as is, e.g. {@code edge.yaml: forward.maxInFlight must be >= 1 (got 0)}.
 */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
