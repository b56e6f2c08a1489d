package io.edgesync.edge.log;

import io.edgesync.edge.dedup.DedupSettings;
import java.util.Objects;

/**
 * Bounds of the event log's write path (docs/CONFIG-edge.md, keys {@code log.*}) and its
 * dedup index (keys {@code dedup.*}).
 *
 * @param queueCapacity  appends waiting for the writer thread; beyond it an append fails
 *                       fast with {@link LogFullException}
 * @param queueMaxBytes  envelope bytes waiting for the writer; beyond it an append fails
 *                       fast (an append into an empty queue is always taken)
 * @param maxGroupEvents most events per group commit (one WriteBatch, one WAL fsync)
 * @param dedup          the application-level dedup index
 * @param quota          disk quota, watermarks and per-class overflow policies (keys {@code buffer.*},
 *                       {@code streams.<class>.overflow})
 */
public record LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents, DedupSettings dedup,
    QuotaSettings quota) {
  public LogSettings {
    if (queueCapacity < 1 || queueMaxBytes < 1 || maxGroupEvents < 1) {
      throw new IllegalArgumentException("log bounds must be >= 1");
    }
    Objects.requireNonNull(dedup, "dedup");
    Objects.requireNonNull(quota, "quota");
  }

  /** With the default quota ({@link QuotaSettings#defaults()}). */
  public LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents, DedupSettings dedup) {
    this(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, QuotaSettings.defaults());
  }

  /** With the default dedup settings ({@link DedupSettings#defaults()}). */
  public LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents) {
    this(queueCapacity, queueMaxBytes, maxGroupEvents, DedupSettings.defaults());
  }

  public LogSettings withDedup(DedupSettings dedup) {
    return new LogSettings(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota);
  }

  public LogSettings withQuota(QuotaSettings quota) {
    return new LogSettings(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota);
  }
}
