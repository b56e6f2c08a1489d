package io.edgesync.edge.forward;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Mints a fleet CA and leaf certificates for tests, following the fleet conventions: EC
 * P-256, PKCS#8 PEM keys, node certificates with CN = node id and EKU clientAuth+serverAuth,
 * the cloud server certificate with SANs and EKU serverAuth.
 */
final class TestPki {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A CA: its certificate file and the key that signs. */
  record Ca(String name, X509Certificate cert, PrivateKey key, Path certPath) {}

  /** A leaf: PEM certificate and PKCS#8 key files. */
  record Leaf(Path cert, Path key) {}

  private TestPki() {}

  static Ca ca(Path dir, String name) throws Exception {
    KeyPair kp = ecKeyPair();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b = builder(subject, subject, kp);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
    X509Certificate cert = sign(b, kp.getPrivate());
    Path certPath = dir.resolve(name + "-ca.pem");
    writePem(certPath, cert);
    return new Ca(name, cert, kp.getPrivate(), certPath);
  }

  /** A node (client) certificate with CN = {@code nodeId}. */
  static Leaf node(Ca ca, Path dir, String nodeId) throws Exception {
    return leaf(ca, dir, nodeId, nodeId, List.of(), true);
  }

  /** A cloud server certificate for the given DNS names and IP addresses. */
  static Leaf server(Ca ca, Path dir, String name, List<String> dnsNames, List<String> ips) throws Exception {
    List<GeneralName> sans = new ArrayList<>();
    dnsNames.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
    ips.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
    return leaf(ca, dir, name, name, sans, false);
  }

  private static Leaf leaf(Ca ca, Path dir, String file, String cn, List<GeneralName> sans, boolean client)
      throws Exception {
    KeyPair kp = ecKeyPair();
    X509v3CertificateBuilder b = builder(new X500Name("CN=" + ca.name()), new X500Name("CN=" + cn), kp);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.extendedKeyUsage, false, client
        ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth})
        : new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()));
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
    return new Leaf(certPath, keyPath);
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair kp) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(2))), subject, kp.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static KeyPair ecKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static void writePem(Path path, Object o) throws IOException {
    try (Writer fw = Files.newBufferedWriter(path); JcaPEMWriter w = new JcaPEMWriter(fw)) {
      w.writeObject(o);
    }
  }
}
