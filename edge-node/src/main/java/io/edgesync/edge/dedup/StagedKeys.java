package io.edgesync.edge.dedup;

import java.util.Arrays;

/**
 * The keys staged by the current group commit: an open-addressing table on the keys' 64-bit
 * hash (computed once per key, see {@link DedupKey#hash()}), equal keys compared by their
 * bytes. Replaces a {@code HashMap<ByteBuffer, …>}, whose {@code ByteBuffer.hashCode} walked
 * every byte of the key on each lookup and each insert, with a wrapper and a node allocated per
 * key. Putting an equal key again replaces its entry (the newest staging decides). Clearing
 * costs the number of keys staged, not the table size. The table grows with the largest group
 * seen (bounded by {@code log.maxGroupEvents}).
 *
 * <p>Not thread-safe: the log writer thread only.
 */
final class StagedKeys {
  private DedupKey[] keys = new DedupKey[2048];
  private long[] hashes = new long[2048]; // keys[i].hash(), read without dereferencing the key
  private long[] seqs = new long[2048];
  /** Slots in use, in first-staging order (for clearing and for the Bloom filters on commit). */
  private int[] used = new int[1024];
  private int size;

  /** Keys staged (distinct). */
  int size() {
    return size;
  }

  /** The staged key equal to {@code key}, or null. */
  DedupKey get(DedupKey key) {
    return keys[find(keys, hashes, key)];
  }

  /** The seq staged with the key equal to {@code key}; only after {@link #get} returned non-null. */
  long seq(DedupKey key) {
    return seqs[find(keys, hashes, key)];
  }

  /** Stages {@code key → seq}, replacing an equal key's entry. */
  void put(DedupKey key, long seq) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    int slot = find(keys, hashes, key);
    if (keys[slot] == null) {
      if (size == used.length) {
        used = Arrays.copyOf(used, size * 2);
      }
      used[size++] = slot;
    }
    keys[slot] = key;
    hashes[slot] = key.hash();
    seqs[slot] = seq;
  }

  /** Hash of the i-th staged key (0 ≤ i < size), in first-staging order. */
  long hashAt(int i) {
    return hashes[used[i]];
  }

  void clear() {
    for (int i = 0; i < size; i++) {
      keys[used[i]] = null;
    }
    size = 0;
  }

  /** The slot holding a key equal to {@code key}, or the empty slot where it would go. */
  private static int find(DedupKey[] table, long[] tableHashes, DedupKey key) {
    int mask = table.length - 1;
    long hash = key.hash();
    int slot = (int) (hash ^ (hash >>> 32)) & mask;
    while (true) {
      DedupKey k = table[slot];
      if (k == null || (tableHashes[slot] == hash && Arrays.equals(k.suffix(), key.suffix()))) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  private void grow() {
    DedupKey[] oldKeys = keys;
    long[] oldHashes = hashes;
    long[] oldSeqs = seqs;
    keys = new DedupKey[oldKeys.length * 2];
    hashes = new long[oldKeys.length * 2];
    seqs = new long[oldKeys.length * 2];
    for (int i = 0; i < size; i++) {
      int from = used[i];
      int to = find(keys, hashes, oldKeys[from]);
      keys[to] = oldKeys[from];
      hashes[to] = oldHashes[from];
      seqs[to] = oldSeqs[from];
      used[i] = to;
    }
  }
}
