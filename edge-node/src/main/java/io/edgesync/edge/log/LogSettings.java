package io.edgesync.edge.log;

/**
 * Bounds of the event log's write path (docs/CONFIG-edge.md, keys {@code log.*}).
 *
 * @param queueCapacity  appends waiting for the writer thread; beyond it an append fails
 *                       fast with {@link LogFullException}
 * @param queueMaxBytes  envelope bytes waiting for the writer; beyond it an append fails
 *                       fast (an append into an empty queue is always taken)
 * @param maxGroupEvents most events per group commit (one WriteBatch, one WAL fsync)
 */
public record LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents) {
  public LogSettings {
    if (queueCapacity < 1 || queueMaxBytes < 1 || maxGroupEvents < 1) {
      throw new IllegalArgumentException("log bounds must be >= 1");
    }
  }
}
