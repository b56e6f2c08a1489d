package io.edgesync.edge.dedup;

/**
 * A 64-bit non-cryptographic hash (MurmurHash64A: 8-byte blocks, multiply-xorshift mixing,
 * final avalanche). Used for the Bloom filters of the dedup index and for the payload
 * fingerprint of MQTT packet-id entries. Stable across JVMs and versions: the payload
 * fingerprint is stored in RocksDB, so never change this function.
 */
public final class DedupHash {
  private static final long M = 0xc6a4a7935bd1e995L;
  private static final int R = 47;
  private static final long SEED = 0x5bd1e9955bd1e995L;

  private DedupHash() {}

  public static long hash64(byte[] data) {
    return hash64(data, 0, data.length, SEED);
  }

  public static long hash64(byte[] data, int off, int len) {
    return hash64(data, off, len, SEED);
  }

  /** Hashes {@code len} bytes of {@code data} from {@code off} with {@code seed}. */
  public static long hash64(byte[] data, int off, int len, long seed) {
    long h = seed ^ (len * M);
    int blocks = len >>> 3;
    for (int i = 0; i < blocks; i++) {
      long k = littleEndianLong(data, off + (i << 3));
      k *= M;
      k ^= k >>> R;
      k *= M;
      h ^= k;
      h *= M;
    }
    int tail = off + (blocks << 3);
    int rest = len & 7;
    if (rest > 0) {
      for (int i = rest - 1; i >= 0; i--) {
        h ^= (data[tail + i] & 0xFFL) << (8 * i);
      }
      h *= M;
    }
    h ^= h >>> R;
    h *= M;
    h ^= h >>> R;
    return h;
  }

  // plain shifts rather than a byte-array VarHandle: no method-handle linkage on the first call
  private static long littleEndianLong(byte[] b, int i) {
    return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
        | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48 | (b[i + 7] & 0xFFL) << 56;
  }

  /** A second, independent-enough 64-bit value derived from {@code h} (splitmix64 finaliser). */
  static long remix(long h) {
    long z = h + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
