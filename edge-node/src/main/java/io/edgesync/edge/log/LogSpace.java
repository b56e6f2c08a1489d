package io.edgesync.edge.log;

import io.edgesync.model.Priority;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * Where the log's space goes: per class, the release and eviction watermarks and the logical
 * bytes appended, released and evicted (all persisted in {@code meta}, each in the same
 * WriteBatch as the change it counts), the loss ledger kept for {@code /status}, and the
 * forecast figures (disk bytes, ingress/egress rates, oldest event per class) sampled by the
 * writer thread.
 *
 * <p>Live bytes of a class = appended − released − evicted; its live run of class sequence
 * numbers is {@code firstLive(c) .. lastClassSeq(c)} with {@code firstLive = max(released,
 * evicted) + 1}. Release (forwarder worker) and eviction (writer thread) both delete from the
 * front of a class: they decide and write under {@link #lock}, so their ranges never overlap
 * and their WriteBatches reach the WAL in decision order. Appends (writer thread) only add
 * bytes and need no lock.
 *
 * <p>Thread-safety: the atomics are read from any thread; writers as described above.
 */
final class LogSpace {
  static final int LEDGER_KEPT = 20;
  /** Envelope offset of the ingest time (docs/PROTOCOL.md, envelope v1). */
  private static final int INGEST_TIME_OFFSET = 27;
  /** Read runs kept per class (~1 per forwarded batch; the in-flight window holds far fewer). */
  static final int READ_SPANS_PER_CLASS = 4096;

  /** Guards release and eviction decisions and their writes. */
  final Object lock = new Object();
  final AtomicLongArray released = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLongArray evicted = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLongArray evictedEvents = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLongArray bytesAppended = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLongArray bytesReleased = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLongArray bytesEvicted = new AtomicLongArray(LogKeys.CLASSES);
  final AtomicLong evictions = new AtomicLong();
  /** What reads returned, so releases count their bytes without reading the events again. */
  final ReadSpans readSpans = new ReadSpans(LogKeys.CLASSES, READ_SPANS_PER_CLASS);
  private final Deque<JsonObject> ledger = new ArrayDeque<>();

  // sampled by the writer thread (about once a second)
  volatile long diskBytes;
  volatile double ingressBytesPerSec;
  volatile double egressBytesPerSec;
  final AtomicLongArray oldestIngestMs = new AtomicLongArray(LogKeys.CLASSES); // 0: no live event
  private long lastSampleNanos;
  private long lastAppendedTotal = -1;
  private long lastReleasedTotal;

  final QuotaSettings quota;

  LogSpace(QuotaSettings quota) {
    this.quota = quota;
  }

  long firstLive(int c) {
    return Math.max(released.get(c), evicted.get(c)) + 1;
  }

  long liveBytes(int c) {
    return bytesAppended.get(c) - bytesReleased.get(c) - bytesEvicted.get(c);
  }

  long usedBytes() {
    long sum = 0;
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      sum += liveBytes(c);
    }
    return sum;
  }

  long totalAppended() {
    long sum = 0;
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      sum += bytesAppended.get(c);
    }
    return sum;
  }

  long totalReleased() {
    long sum = 0;
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      sum += bytesReleased.get(c);
    }
    return sum;
  }

  /** Seconds until the quota is reached at the current net growth; null when not growing. */
  Double timeToFullSeconds() {
    double growth = ingressBytesPerSec - egressBytesPerSec;
    long left = quota.quotaBytes() - usedBytes();
    if (left <= 0) {
      return 0.0;
    }
    if (growth <= 1.0) {
      return null;
    }
    return left / growth;
  }

  void recordLedger(JsonObject entry) {
    synchronized (ledger) {
      ledger.addLast(entry);
      while (ledger.size() > LEDGER_KEPT) {
        ledger.removeFirst();
      }
    }
  }

  JsonArray ledger() {
    synchronized (ledger) {
      return new JsonArray(new java.util.ArrayList<>(ledger));
    }
  }

  /**
   * Writer thread, about once a second: EWMA of the ingress (appended) and egress (released)
   * byte rates with a time constant of ~5 s, RocksDB's on-disk size, the oldest live event of
   * each class.
   */
  void sample(RocksDB db, ColumnFamilyHandle logCf, long nowNanos, long nowMs) {
    long appended = totalAppended();
    long releasedTotal = totalReleased();
    if (lastAppendedTotal >= 0) {
      double dt = (nowNanos - lastSampleNanos) / 1e9;
      if (dt > 0) {
        double alpha = 1 - Math.exp(-dt / 5.0);
        ingressBytesPerSec += alpha * ((appended - lastAppendedTotal) / dt - ingressBytesPerSec);
        egressBytesPerSec += alpha * ((releasedTotal - lastReleasedTotal) / dt - egressBytesPerSec);
      }
    }
    lastAppendedTotal = appended;
    lastReleasedTotal = releasedTotal;
    lastSampleNanos = nowNanos;
    try {
      long wal = 0;
      for (org.rocksdb.LogFile f : db.getSortedWalFiles()) {
        wal += f.sizeFileBytes();
      }
      diskBytes = db.getAggregatedLongProperty("rocksdb.total-sst-files-size") + wal;
    } catch (RocksDBException | RuntimeException e) {
      // keep the last figure; a status number is not worth failing the writer for
    }
    byte[] head = new byte[INGEST_TIME_OFFSET + 8];
    for (Priority p : Priority.values()) {
      int c = p.code();
      long from = firstLive(c);
      long ingest = 0;
      try (Slice upper = new Slice(LogKeys.classEnd(c));
           ReadOptions ro = new ReadOptions().setFillCache(false).setIterateUpperBound(upper);
           RocksIterator it = db.newIterator(logCf, ro)) {
        it.seek(LogKeys.logKey(c, from));
        if (it.isValid() && it.value(head) >= head.length) {
          ingest = java.nio.ByteBuffer.wrap(head).getLong(INGEST_TIME_OFFSET);
        }
      } catch (RuntimeException e) {
        // same as above
      }
      oldestIngestMs.set(c, ingest);
    }
  }

  /**
   * Sums the envelope sizes of class {@code c} from {@code from} (inclusive) on, stopping after
   * {@code to} or once {@code atLeastBytes} are summed. Reads sizes only (no value copies).
   *
   * @return {@code {bytes, lastClassSeq, count}}; count 0 when nothing is there
   */
  static long[] sizes(RocksDB db, ColumnFamilyHandle logCf, int c, long from, long to, long atLeastBytes)
      throws RocksDBException {
    long bytes = 0;
    long last = from - 1;
    long count = 0;
    byte[] probe = new byte[1];
    try (Slice upper = new Slice(LogKeys.logKey(c, to + 1));
         ReadOptions ro = new ReadOptions().setFillCache(false).setIterateUpperBound(upper);
         RocksIterator it = db.newIterator(logCf, ro)) {
      for (it.seek(LogKeys.logKey(c, from)); it.isValid() && bytes < atLeastBytes; it.next()) {
        bytes += it.value(probe);
        last = LogKeys.classSeqOf(it.key());
        count++;
      }
      it.status();
    }
    return new long[] {bytes, last, count};
  }
}
