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
 * @param memoryBytes    RocksDB's memory budget ({@code log.memoryBytes}): one block cache of this
 *                       size shared by every column family, which is also charged with the
 *                       memtables (write buffer manager) and the index and filter blocks
 */
public record LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents, DedupSettings dedup,
    QuotaSettings quota, long memoryBytes) {
  /** Default RocksDB memory budget: 48 MiB (docs/ARCHITECTURE-edge.md "Memory bounds"). */
  public static final long DEFAULT_MEMORY_BYTES = 48L * 1024 * 1024;
  /** Smallest RocksDB memory budget: 8 MiB. */
  public static final long MIN_MEMORY_BYTES = 8L * 1024 * 1024;

  public LogSettings {
    if (queueCapacity < 1 || queueMaxBytes < 1 || maxGroupEvents < 1) {
      throw new IllegalArgumentException("log bounds must be >= 1");
    }
    if (memoryBytes < MIN_MEMORY_BYTES) {
      throw new IllegalArgumentException("log.memoryBytes must be >= " + MIN_MEMORY_BYTES + " (got " + memoryBytes + ")");
    }
    Objects.requireNonNull(dedup, "dedup");
    Objects.requireNonNull(quota, "quota");
  }

  /** With the default RocksDB memory budget ({@link #DEFAULT_MEMORY_BYTES}). */
  public LogSettings(int queueCapacity, long queueMaxBytes, int maxGroupEvents, DedupSettings dedup,
      QuotaSettings quota) {
    this(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota, DEFAULT_MEMORY_BYTES);
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
    return new LogSettings(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota, memoryBytes);
  }

  public LogSettings withQuota(QuotaSettings quota) {
    return new LogSettings(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota, memoryBytes);
  }

  public LogSettings withMemoryBytes(long memoryBytes) {
    return new LogSettings(queueCapacity, queueMaxBytes, maxGroupEvents, dedup, quota, memoryBytes);
  }
}
