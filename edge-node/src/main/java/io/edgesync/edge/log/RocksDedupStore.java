package io.edgesync.edge.log;

import io.edgesync.edge.dedup.DedupStore;
import java.util.Arrays;
import java.util.function.BiPredicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * The {@code dedup} column family as the {@link DedupStore} of the dedup index. Used on
 * the log writer thread (and while the log opens), which runs only while RocksDB is open,
 * so it takes no lifecycle lock. Range deletes of expired buckets are not synced: one lost
 * in a crash is redone on the next open.
 */
final class RocksDedupStore implements DedupStore {
  private final String dbPath;
  private final RocksDB db;
  private final ColumnFamilyHandle cf;
  private final WriteOptions noSync;

  RocksDedupStore(String dbPath, RocksDB db, ColumnFamilyHandle cf, WriteOptions noSync) {
    this.dbPath = dbPath;
    this.db = db;
    this.cf = cf;
    this.noSync = noSync;
  }

  @Override
  public byte[] get(byte[] key) {
    try {
      return db.get(cf, key);
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, "dedup lookup", e);
    }
  }

  @Override
  public void scan(BiPredicate<byte[], byte[]> visitor) {
    try (ReadOptions options = new ReadOptions().setFillCache(false);
         RocksIterator it = db.newIterator(cf, options)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        if (!visitor.test(it.key(), it.value())) {
          break;
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, "dedup scan", e);
    }
  }

  @Override
  public void deleteBelow(byte[] endKey) {
    byte[] begin = new byte[endKey.length];
    if (Arrays.equals(begin, endKey)) {
      return;
    }
    try {
      db.deleteRange(cf, noSync, begin, endKey);
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, "dedup deleteRange", e);
    }
  }
}
