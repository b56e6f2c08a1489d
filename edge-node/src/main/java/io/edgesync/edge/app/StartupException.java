package io.edgesync.edge.app;

/** The node could not start; the message is one line naming the key or resource at fault. */
public final class StartupException extends RuntimeException {
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
