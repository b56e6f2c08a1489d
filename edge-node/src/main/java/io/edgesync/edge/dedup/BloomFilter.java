package io.edgesync.edge.dedup;

/**
 * A fixed-size Bloom filter over 64-bit hashes ({@link DedupHash}): {@code k} probe
 * positions from double hashing ({@code h1 + i * h2}). Sized once for an expected number
 * of keys and a false-positive rate; inserting more keys than planned never gives a false
 * negative, it only raises the false-positive rate.
 *
 * <p>Not thread-safe: the dedup index uses it from the log writer thread only.
 */
public final class BloomFilter {
  private final long[] words;
  private final long bits;
  private final int hashes;

  private BloomFilter(long bits, int hashes) {
    long words = (bits + 63) >>> 6;
    if (words << 6 >= 1L << 32) {
      throw new IllegalArgumentException("Bloom filter of " + bits + " bits is too large");
    }
    this.words = new long[(int) words];
    this.bits = words << 6;
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

  /** Adds {@code hash}. */
  public void put(long hash) {
    long h2 = DedupHash.remix(hash) | 1;
    long combined = hash;
    for (int i = 0; i < hashes; i++) {
      long bit = index(combined);
      words[(int) (bit >>> 6)] |= 1L << bit;
      combined += h2;
    }
  }

  /** False: {@code hash} was certainly never added. True: it may have been. */
  public boolean mightContain(long hash) {
    long h2 = DedupHash.remix(hash) | 1;
    long combined = hash;
    for (int i = 0; i < hashes; i++) {
      long bit = index(combined);
      if ((words[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
      combined += h2;
    }
    return true;
  }

  /** Maps a 64-bit value onto [0, bits) by its high 32 bits (multiply-shift, no division; bits < 2^32). */
  private long index(long h) {
    return ((h >>> 32) * bits) >>> 32;
  }

  /** Heap held by the bit array. */
  public long byteSize() {
    return (long) words.length * Long.BYTES;
  }

  /** Number of bits. */
  public long bitSize() {
    return bits;
  }

  /** Probes per key. */
  public int hashCount() {
    return hashes;
  }
}
