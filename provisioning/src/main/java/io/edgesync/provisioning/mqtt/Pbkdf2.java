package io.edgesync.provisioning.mqtt;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The MQTT password hash the edge verifies (edge-node's {@code PasswordHash}; the two copies
 * share a test vector): PBKDF2-HMAC-SHA256, 16-byte random salt, 32-byte hash, encoded
 * {@code pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>} (standard base64 with padding).
 */
public final class Pbkdf2 {
  public static final String SCHEME = "pbkdf2-sha256";
  /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 310_000;
  public static final int MIN_ITERATIONS = 10_000;
  public static final int MAX_ITERATIONS = 10_000_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Pbkdf2() {}

  /** A fresh hash of {@code password} with a random salt. */
  public static String hash(char[] password, int iterations) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return encode(password, salt, iterations);
  }

  /** The hash of {@code password} with {@code salt} (the test vector uses a fixed salt). */
  public static String encode(char[] password, byte[] salt, int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be " + MIN_ITERATIONS + ".." + MAX_ITERATIONS);
    }
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
    try {
      byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      return SCHEME + "$" + iterations + "$" + Base64.getEncoder().encodeToString(salt) + "$"
          + Base64.getEncoder().encodeToString(hash);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
    } finally {
      spec.clearPassword();
    }
  }

  /** Whether {@code encoded} has this format (not whether it is right). */
  public static boolean looksLikeHash(String encoded) {
    String[] p = encoded == null ? new String[0] : encoded.split("\\$", -1);
    return p.length == 4 && p[0].equals(SCHEME) && p[1].matches("[0-9]{1,9}");
  }

  static void wipe(char[] c) {
    Arrays.fill(c, '\0');
  }
}
