package io.edgesync.cloud.testkit;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Test certificates minted with BouncyCastle, as PEM files in one folder, following the fleet
 * conventions: EC P-256 keys in PKCS#8 PEM, node certificates with CN = node id and EKU
 * clientAuth+serverAuth, the server certificate with SANs localhost / 127.0.0.1, a fleet CA and a
 * foreign CA that the server does not trust.
 */
public final class TestPki {
  /** A certificate and its key, as PEM files. */
  public record Creds(Path cert, Path key, BigInteger serial) {}

  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  private final Path dir;
  private final Authority fleet;
  private final Authority foreign;
  private final Creds server;
  private final Map<String, Creds> nodes = new HashMap<>();
  private final Map<String, Creds> foreignNodes = new HashMap<>();

  private record Authority(String name, KeyPair keys, X509Certificate cert, Path certFile) {}

  private TestPki(Path dir) throws Exception {
    this.dir = dir;
    Files.createDirectories(dir);
    fleet = authority("fleet-ca");
    foreign = authority("foreign-ca");
    server = leaf(fleet, "cloud", "server", true);
  }

  /** Mints the fleet CA, a foreign CA and the server certificate under {@code dir}. */
  public static TestPki create(Path dir) {
    try {
      return new TestPki(dir);
    } catch (Exception e) {
      throw new IllegalStateException("cannot mint test certificates", e);
    }
  }

  public Path caCert() {
    return fleet.certFile();
  }

  public Creds server() {
    return server;
  }

  /** A node certificate signed by the fleet CA (minted on first use). */
  public synchronized Creds node(String nodeId) {
    return nodes.computeIfAbsent(nodeId, id -> mint(fleet, id, "node-" + id));
  }

  /** A node certificate with CN {@code nodeId} signed by the foreign CA. */
  public synchronized Creds foreignNode(String nodeId) {
    return foreignNodes.computeIfAbsent(nodeId, id -> mint(foreign, id, "foreign-" + id));
  }

  /** Writes a CRL of the fleet CA revoking {@code serials} to {@code file} (PEM). */
  public void writeCrl(Path file, List<BigInteger> serials) {
    try {
      Date now = new Date(System.currentTimeMillis() - 60_000);
      JcaX509v2CRLBuilder b = new JcaX509v2CRLBuilder(fleet.cert(), now);
      b.setNextUpdate(new Date(System.currentTimeMillis() + 86_400_000L));
      for (BigInteger s : serials) {
        b.addCRLEntry(s, now, CRLReason.keyCompromise);
      }
      b.addExtension(Extension.authorityKeyIdentifier, false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(fleet.cert()));
      X509CRLHolder crl = b.build(signer(fleet.keys().getPrivate()));
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, pem("X509 CRL", crl.getEncoded()));
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (Exception e) {
      throw new IllegalStateException("cannot write CRL", e);
    }
  }

  private Creds mint(Authority ca, String cn, String fileBase) {
    try {
      return leaf(ca, cn, fileBase, false);
    } catch (Exception e) {
      throw new IllegalStateException("cannot mint " + cn, e);
    }
  }

  private Authority authority(String name) throws Exception {
    KeyPair kp = ecKeys();
    X500Name subject = new X500Name("CN=" + name + ",O=edgesync-test");
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), notBefore(), notAfter(),
        subject, kp.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(kp.getPrivate())));
    Path file = dir.resolve(name + ".crt");
    Files.writeString(file, pem("CERTIFICATE", cert.getEncoded()));
    return new Authority(name, kp, cert, file);
  }

  private Creds leaf(Authority ca, String cn, String fileBase, boolean serverCert) throws Exception {
    KeyPair kp = ecKeys();
    BigInteger serial = serial();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), serial, notBefore(), notAfter(),
        new X500Name("CN=" + cn), kp.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()));
    if (serverCert) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())}));
    } else {
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
    }
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(ca.keys().getPrivate())));
    Path certFile = dir.resolve(fileBase + ".crt");
    Path keyFile = dir.resolve(fileBase + ".key");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
    return new Creds(certFile, keyFile, serial);
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
  }

  private static BigInteger serial() {
    return BigInteger.valueOf(SERIALS.incrementAndGet());
  }

  private static Date notBefore() {
    return new Date(System.currentTimeMillis() - 3_600_000L);
  }

  private static Date notAfter() {
    return new Date(System.currentTimeMillis() + 30L * 86_400_000L);
  }

  private static String pem(String type, byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
  }

}
