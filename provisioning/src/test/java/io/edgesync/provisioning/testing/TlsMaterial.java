package io.edgesync.provisioning.testing;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads the CLI's PEM files with the plain JDK (no BouncyCastle), so the tests check the files
 * independently of the code that wrote them, and builds JSSE contexts from them.
 */
public final class TlsMaterial {
  private static final char[] PASSWORD = "unused".toCharArray();

  private TlsMaterial() {}

  /** A {@code -----BEGIN PRIVATE KEY-----} (PKCS#8) EC key; fails on any other PEM type. */
  public static PrivateKey pkcs8Key(Path file) throws Exception {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN PRIVATE KEY-----";
    String end = "-----END PRIVATE KEY-----";
    if (!pem.startsWith(begin) || !pem.strip().endsWith(end)) {
      throw new AssertionError(file + " is not a PKCS#8 PEM private key:\n" + pem.lines().findFirst().orElse(""));
    }
    byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin.length(), pem.indexOf(end)));
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  public static X509Certificate certificate(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  public static X509CRL crl(Path file) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
    }
  }

  /** An SSLContext presenting {@code key}/{@code cert} and trusting only {@code ca}. */
  public static SSLContext context(Path key, Path cert, Path ca) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("identity", pkcs8Key(key), PASSWORD, new Certificate[] {certificate(cert)});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("fleet-ca", certificate(ca));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);

    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }
}
