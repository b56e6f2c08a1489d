package io.edgesync.provisioning.pki;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Locale;

/** Certificate serial numbers: random, positive, up to 128 bits (RFC 5280 allows 20 octets). */
public final class Serials {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Serials() {}

  /** A random serial in [1, 2^128). Thread-safe. */
  public static BigInteger random() {
    byte[] bytes = new byte[16];
    BigInteger serial;
    do {
      RANDOM.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  /** Upper-case hex padded to whole bytes, as {@code openssl x509 -serial} prints it. */
  public static String hex(BigInteger serial) {
    String hex = serial.toString(16).toUpperCase(Locale.ROOT);
    return hex.length() % 2 == 0 ? hex : "0" + hex;
  }

  /** Parses {@link #hex(BigInteger)} output. */
  public static BigInteger parseHex(String hex) {
    return new BigInteger(hex, 16);
  }
}
