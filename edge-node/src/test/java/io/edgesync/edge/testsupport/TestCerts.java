package io.edgesync.edge.testsupport;

import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Test certificates in the fleet's conventions (EC P-256, SHA256withECDSA, PEM certificates,
 * PKCS#8 PEM keys): CAs, leaves for clients and servers, CRLs, and JDK client contexts. The
 * edge's tests (forwarder, MQTT listener, bridge) share it.
 */
public final class TestCerts {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A CA: its certificate, the key that signs, and the certificate's PEM file. */
  public record Ca(String name, X509Certificate cert, PrivateKey key, Path certPath) {}

  /** A leaf: certificate and key, and their PEM files. */
  public record Leaf(X509Certificate cert, PrivateKey key, Path certPath, Path keyPath) {}

  private TestCerts() {}

  /** A self-signed CA with CN = {@code name}, written to {@code <dir>/<name>-ca.pem}. */
  public static Ca ca(Path dir, String name) throws Exception {
    KeyPair kp = ecKeyPair();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b = builder(subject, subject, kp);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false,
        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(kp.getPublic()));
    X509Certificate cert = sign(b, kp.getPrivate());
    Path p = dir.resolve(name + "-ca.pem");
    writePem(p, cert);
    return new Ca(name, cert, kp.getPrivate(), p);
  }

  /** A certificate with CN = {@code cn}, EKU clientAuth+serverAuth, SAN 127.0.0.1 and localhost. */
  public static Leaf leaf(Ca ca, Path dir, String cn) throws Exception {
    return leaf(ca, dir, cn, true);
  }

  /** The same, without SANs when {@code sans} is false: no host name matches it. */
  public static Leaf leaf(Ca ca, Path dir, String cn, boolean sans) throws Exception {
    return leaf(ca, dir, ca.name() + "-" + cn + (sans ? "" : "-nosan"), cn,
        sans ? List.of("localhost") : List.of(), sans ? List.of("127.0.0.1") : List.of(), true);
  }

  /** A server certificate (EKU serverAuth only) for the given DNS names and IP addresses. */
  public static Leaf server(Ca ca, Path dir, String name, List<String> dnsNames, List<String> ips) throws Exception {
    return leaf(ca, dir, ca.name() + "-" + name, name, dnsNames, ips, false);
  }

  private static Leaf leaf(Ca ca, Path dir, String file, String cn, List<String> dnsNames, List<String> ips,
      boolean client) throws Exception {
    KeyPair kp = ecKeyPair();
    X509v3CertificateBuilder b = builder(new X500Name("CN=" + ca.name()), new X500Name("CN=" + cn), kp);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.extendedKeyUsage, false, client
        ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth})
        : new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    b.addExtension(Extension.authorityKeyIdentifier, false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.cert()));
    List<GeneralName> sans = new ArrayList<>();
    ips.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
    dnsNames.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
    if (!sans.isEmpty()) {
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
    }
    X509Certificate cert = sign(b, ca.key());
    Path certPath = dir.resolve(file + "-cert.pem");
    Path keyPath = dir.resolve(file + "-key.pem");
    writePem(certPath, cert);
    StringWriter sw = new StringWriter();
    try (PemWriter w = new PemWriter(sw)) {
      w.writeObject(new PemObject("PRIVATE KEY", kp.getPrivate().getEncoded())); // PKCS#8
    }
    Files.writeString(keyPath, sw.toString());
    return new Leaf(cert, kp.getPrivate(), certPath, keyPath);
  }

  /**
   * Writes (atomically, as an operator should) {@code file}: a PEM CRL of {@code ca} listing
   * {@code revoked}, next update in a day.
   */
  public static Path crl(Ca ca, Path file, X509Certificate... revoked) throws Exception {
    Date now = new Date();
    X509v2CRLBuilder b = new X509v2CRLBuilder(new X500Name("CN=" + ca.name()), now);
    b.setNextUpdate(Date.from(now.toInstant().plus(Duration.ofDays(1))));
    for (X509Certificate c : revoked) {
      b.addCRLEntry(c.getSerialNumber(), now, CRLReason.keyCompromise);
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    writePem(tmp, new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(ca.key()))));
    return Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A JDK client context trusting {@code trust}, presenting {@code client} when not null. */
  public static SSLContext clientContext(Ca trust, Leaf client) throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", trust.cert());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    KeyManagerFactory kmf = null;
    if (client != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", client.key(), "x".toCharArray(), new X509Certificate[] {client.cert()});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "x".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair kp) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(2))), subject, kp.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static KeyPair ecKeyPair() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static void writePem(Path path, Object o) throws Exception {
    try (Writer fw = Files.newBufferedWriter(path); JcaPEMWriter w = new JcaPEMWriter(fw)) {
      w.writeObject(o);
    }
  }
}
