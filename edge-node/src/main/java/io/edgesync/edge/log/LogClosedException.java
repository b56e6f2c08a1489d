package io.edgesync.edge.log;

/** The event log is closed (or closing): nothing more can be appended or read. */
public final class LogClosedException extends IllegalStateException {
  public LogClosedException(String message) {
    super(message);
  }
}
