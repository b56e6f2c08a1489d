package io.edgesync.edge.log;

import java.util.Map;
import java.util.concurrent.locks.Lock;
import java.util.function.BiPredicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A small key-value store in its own column family of the edge's RocksDB, beside the event
 * log: {@code dedup} (application-level dedup keys), {@code dlq} (dead letters kept for
 * listing and re-drive), {@code state} (rule window snapshots). Writes are WAL-synced.
 *
 * <p>Every method is blocking (RocksDB): call it on a worker or the log writer thread,
 * never on an event loop. Thread-safe; calls after the log closed fail with
 * {@link LogClosedException}.
 */
public final class AuxStore {
  private final String name;
  private final String dbPath;
  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final WriteOptions syncWrite;
  private final Lock readLock;
  private final java.util.function.BooleanSupplier open;

  AuxStore(String name, String dbPath, RocksDB db, ColumnFamilyHandle cf, WriteOptions syncWrite, Lock readLock,
      java.util.function.BooleanSupplier open) {
    this.name = name;
    this.dbPath = dbPath;
    this.db = db;
    this.cf = cf;
    this.syncWrite = syncWrite;
    this.readLock = readLock;
    this.open = open;
  }

  /** The column family name. */
  public String name() {
    return name;
  }

  /** The column family handle, for writes that must join the log writer's WriteBatch. */
  ColumnFamilyHandle handle() {
    return cf;
  }

  public byte[] get(byte[] key) {
    return locked("get", () -> db.get(cf, key));
  }

  public void put(byte[] key, byte[] value) {
    locked("put", () -> {
      db.put(cf, syncWrite, key, value);
      return null;
    });
  }

  public void delete(byte[] key) {
    locked("delete", () -> {
      db.delete(cf, syncWrite, key);
      return null;
    });
  }

  /** Deletes {@code [from, to)}. */
  public void deleteRange(byte[] from, byte[] to) {
    locked("deleteRange", () -> {
      db.deleteRange(cf, syncWrite, from, to);
      return null;
    });
  }

  /** Writes every entry atomically (one WriteBatch); a null value deletes the key. */
  public void putAll(Map<byte[], byte[]> entries) {
    locked("putAll", () -> {
      try (WriteBatch batch = new WriteBatch()) {
        for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
          if (e.getValue() == null) {
            batch.delete(cf, e.getKey());
          } else {
            batch.put(cf, e.getKey(), e.getValue());
          }
        }
        db.write(syncWrite, batch);
      }
      return null;
    });
  }

  /**
   * Visits entries in key order from {@code fromKey} (inclusive; null = first) until the
   * visitor returns false.
   */
  public void forEach(byte[] fromKey, BiPredicate<byte[], byte[]> visitor) {
    locked("iterate", () -> {
      try (RocksIterator it = db.newIterator(cf)) {
        if (fromKey == null) {
          it.seekToFirst();
        } else {
          it.seek(fromKey);
        }
        for (; it.isValid(); it.next()) {
          if (!visitor.test(it.key(), it.value())) {
            break;
          }
        }
        it.status();
      }
      return null;
    });
  }

  private interface Op<T> {
    T run() throws RocksDBException;
  }

  private <T> T locked(String what, Op<T> op) {
    readLock.lock();
    try {
      if (!open.getAsBoolean()) {
        throw new LogClosedException("[db: " + dbPath + "] the log is closed");
      }
      return op.run();
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, name + " " + what, e);
    } finally {
      readLock.unlock();
    }
  }
}
