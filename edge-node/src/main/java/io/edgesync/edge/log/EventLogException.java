package io.edgesync.edge.log;

/**
 * A RocksDB operation of the event log failed; the message names the database path and
 * the operation. Retryable or not depends on the cause (a full disk may clear, a corrupt
 * database will not); callers treat it as "not stored".
 */
public final class EventLogException extends RuntimeException {
  public EventLogException(String dbPath, String operation, Throwable cause) {
    super("[db: " + dbPath + "] " + operation + " failed: " + cause.getMessage(), cause);
  }
}
