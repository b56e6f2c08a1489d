package io.edgesync.provisioning.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/** EC P-256 key pairs, the only key type of the fleet. Thread-safe. */
public final class KeyPairs {
  /** The signature algorithm for every certificate and CRL the fleet CA signs. */
  public static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyPairs() {}

  /** A fresh P-256 (secp256r1, prime256v1) key pair from the JDK's provider. */
  public static KeyPair generateP256() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate EC P-256 keys", e);
    }
  }

  /** True when {@code privateKey} signs what {@code publicKey} verifies (the halves of one pair). */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
      signer.initSign(privateKey);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
