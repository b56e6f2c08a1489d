package io.edgesync.edge.dedup;

import java.util.function.BiPredicate;

/**
 * The persistent side of the {@link DedupIndex}: the {@code dedup} column family of the
 * edge's RocksDB, provided by the event log. Puts are not here: they join the log writer's
 * group {@code WriteBatch} (see {@link DedupIndex#stage}). Every method is blocking and is
 * called on the log writer thread (or while the log opens); failures are runtime
 * exceptions naming the database.
 */
public interface DedupStore {

  /** Point lookup; null when absent. */
  byte[] get(byte[] key);

  /** Visits every entry in key order until {@code visitor} returns false. */
  void scan(BiPredicate<byte[], byte[]> visitor);

  /** Deletes every key below {@code endKey} (exclusive), as one range tombstone. */
  void deleteBelow(byte[] endKey);
}
