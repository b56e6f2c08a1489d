package io.edgesync.edge.mqtt.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.spec.KeySpec;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A stored password hash: PBKDF2-HMAC-SHA256, encoded
 * {@code pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>} (standard base64 with
 * padding). The provisioning CLI's {@code mqtt-user} writes this format. Verification uses
 * the JDK's {@code PBKDF2WithHmacSHA256} and compares in constant time.
 *
 * <p>Deliberately slow (310,000 iterations by default, ~0.1-0.3 s of one core): never call
 * {@link #verify} on an event loop. Immutable and thread-safe.
 */
public final class PasswordHash {
  /** The format's prefix. */
  public static final String SCHEME = "pbkdf2-sha256";
  /** Bounds on the iteration count: a hash outside them is refused when the users file is read. */
  static final int MIN_ITERATIONS = 10_000;
  static final int MAX_ITERATIONS = 10_000_000;

  private final String encoded;
  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(String encoded, int iterations, byte[] salt, byte[] hash) {
    this.encoded = encoded;
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /**
   * Parses an encoded hash.
   *
   * @throws IllegalArgumentException naming what is wrong (never echoing the value)
   */
  public static PasswordHash parse(String encoded) {
    if (encoded == null) {
      throw new IllegalArgumentException("missing hash");
    }
    String[] parts = encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new IllegalArgumentException("hash must look like " + SCHEME + "$<iterations>$<salt b64>$<hash b64>");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("hash iterations is not a number");
    }
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("hash iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS
          + " (got " + iterations + ")");
    }
    byte[] salt;
    byte[] hash;
    try {
      salt = Base64.getDecoder().decode(parts[2]);
      hash = Base64.getDecoder().decode(parts[3]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("hash salt or value is not base64");
    }
    if (salt.length < 8 || hash.length < 16 || hash.length > 64) {
      throw new IllegalArgumentException("hash salt must be >= 8 bytes and the hash 16..64 bytes");
    }
    return new PasswordHash(encoded, iterations, salt, hash);
  }

  /** Whether {@code password} matches. Slow and blocking: worker threads only. */
  public boolean verify(String password) {
    byte[] candidate = derive(password, salt, iterations, hash.length);
    return MessageDigest.isEqual(candidate, hash);
  }

  /** The iteration count. */
  public int iterations() {
    return iterations;
  }

  /** The encoded form (what the users file holds). */
  public String encoded() {
    return encoded;
  }

  static byte[] derive(String password, byte[] salt, int iterations, int bytes) {
    char[] chars = password.toCharArray();
    KeySpec spec = new PBEKeySpec(chars, salt, iterations, bytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
    } finally {
      java.util.Arrays.fill(chars, '\0');
      ((PBEKeySpec) spec).clearPassword();
    }
  }

  /** Never the hash itself: the users file may be readable by more people than its passwords. */
  @Override
  public String toString() {
    return SCHEME + "$" + iterations + "$…";
  }

  /** Encodes {@code hash} with {@code salt} (tests; the CLI has its own copy). */
  static String encode(int iterations, byte[] salt, byte[] hash) {
    return SCHEME + "$" + iterations + "$" + Base64.getEncoder().encodeToString(salt) + "$"
        + Base64.getEncoder().encodeToString(hash);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Equal when encoded alike (same scheme, iterations, salt and hash): a reload compares entries. */
  @Override
  public boolean equals(Object o) {
    return o instanceof PasswordHash p && p.encoded.equals(encoded);
  }

  @Override
  public int hashCode() {
    return encoded.hashCode();
  }
}
