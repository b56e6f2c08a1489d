package io.edgesync.edge.dedup;

/**
 * A fixed-size, cache-blocked Bloom filter over 64-bit hashes ({@link DedupHash}): the high
 * 32 bits of a hash pick one 512-bit block (64 bytes, one or two cache lines), and the
 * {@code k} probe positions lie inside that block (double hashing of a second 64-bit value
 * mod 512). A lookup therefore touches one block instead of {@code k} random words; the
 * price is a slightly higher false-positive rate than a plain filter of the same size (about
 * 1.1-1.3 % instead of 1 % at the design load with 9.6 bits per key), which only costs an
 * occasional extra RocksDB lookup. Sized once for an expected number of keys and a
 * false-positive rate; inserting more keys than planned never gives a false negative, it only
 * raises the false-positive rate. The layout is in memory only (filters are rebuilt from the
 * stored keys on open), so it may change between versions.
 *
 * <p>Not thread-safe: the dedup index uses it from the log writer thread only.
 */
public final class BloomFilter {
  private static final int BLOCK_BITS = 512;
  private static final int BLOCK_WORDS = BLOCK_BITS / Long.SIZE;

  private final long[] words;
  private final long blocks;
  private final int hashes;

  private BloomFilter(long bits, int hashes) {
    long blocks = Math.max(1, (bits + BLOCK_BITS - 1) / BLOCK_BITS);
    if (blocks * BLOCK_WORDS > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("Bloom filter of " + bits + " bits is too large");
    }
    this.words = new long[(int) (blocks * BLOCK_WORDS)];
    this.blocks = blocks;
    this.hashes = hashes;
  }

  /**
   * A filter for {@code expectedKeys} keys at false-positive probability {@code fpp}
   * (bits = -n ln p / ln²2, k = bits/n · ln 2; 1 % gives ~9.6 bits per key and k = 7).
   */
  public static BloomFilter forKeys(int expectedKeys, double fpp) {
    if (expectedKeys < 1 || !(fpp > 0 && fpp < 1)) {
      throw new IllegalArgumentException("expectedKeys must be >= 1 and fpp in (0, 1)");
    }
    double ln2 = Math.log(2);
    long bits = Math.max(64, (long) Math.ceil(-expectedKeys * Math.log(fpp) / (ln2 * ln2)));
    int k = (int) Math.max(1, Math.min(16, Math.round((double) bits / expectedKeys * ln2)));
    return new BloomFilter(bits, k);
  }

  /** Heap a filter for {@code expectedKeys} at {@code fpp} takes ({@link #forKeys} then {@link #byteSize}). */
  public static long bytesFor(long expectedKeys, double fpp) {
    double ln2 = Math.log(2);
    long bits = Math.max(64, (long) Math.ceil(-expectedKeys * Math.log(fpp) / (ln2 * ln2)));
    return Math.max(1, (bits + BLOCK_BITS - 1) / BLOCK_BITS) * BLOCK_WORDS * Long.BYTES;
  }

  /** Adds {@code hash}. */
  public void put(long hash) {
    int base = block(hash);
    long h2 = DedupHash.remix(hash);
    int a = (int) h2;
    int b = (int) (h2 >>> 32) | 1; // odd: the k positions mod 512 are distinct
    for (int i = 0; i < hashes; i++) {
      int bit = a & (BLOCK_BITS - 1);
      words[base + (bit >>> 6)] |= 1L << bit;
      a += b;
    }
  }

  /** False: {@code hash} was certainly never added. True: it may have been. */
  public boolean mightContain(long hash) {
    int base = block(hash);
    long h2 = DedupHash.remix(hash);
    int a = (int) h2;
    int b = (int) (h2 >>> 32) | 1;
    for (int i = 0; i < hashes; i++) {
      int bit = a & (BLOCK_BITS - 1);
      if ((words[base + (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
      a += b;
    }
    return true;
  }

  /** First word of the block of {@code h}: its high 32 bits mapped onto [0, blocks) (multiply-shift). */
  private int block(long h) {
    return (int) (((h >>> 32) * blocks) >>> 32) * BLOCK_WORDS;
  }

  /** Heap held by the bit array. */
  public long byteSize() {
    return (long) words.length * Long.BYTES;
  }

  /** Number of bits. */
  public long bitSize() {
    return (long) words.length * Long.SIZE;
  }

  /** Probes per key. */
  public int hashCount() {
    return hashes;
  }
}
