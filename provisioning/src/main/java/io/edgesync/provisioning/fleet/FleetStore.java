package io.edgesync.provisioning.fleet;

import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The fleet folder ({@code --dir FLEET}): the CA key and certificate, the CRL and the node
 * registry. This class is the only one that reads or writes those files.
 * <pre>
 * FLEET/           0700
 *   ca.key         0600  PKCS#8 PEM, EC P-256
 *   ca.crt         0644  self-signed CA certificate
 *   crl.pem        0644  CRL signed by the CA (nextUpdate = thisUpdate + 365 days)
 *   nodes.json     0644  node registry ({@link NodeRegistry})
 *   .lock                held while a command changes the folder
 * </pre>
 * Blocking file I/O; failures are {@link ProvisioningException}s (one line) or IOExceptions.
 */
public final class FleetStore {
  public static final String CA_KEY = "ca.key";
  public static final String CA_CERT = "ca.crt";
  public static final String CRL = "crl.pem";
  public static final String NODES = "nodes.json";
  static final String LOCK = ".lock";

  /** Validity of a new CA certificate. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);
  /** nextUpdate of every CRL the fleet signs is thisUpdate plus this. */
  public static final Duration CRL_VALIDITY = Duration.ofDays(365);
  /** Longest wait for another command's lock. */
  static final Duration LOCK_WAIT = Duration.ofSeconds(10);

  private final Path dir;

  private FleetStore(Path dir) {
    this.dir = dir;
  }

  /**
   * An existing fleet folder.
   *
   * @throws ProvisioningException when {@code dir} holds no fleet CA
   */
  public static FleetStore open(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(d)) {
      throw new ProvisioningException("no fleet folder " + dir + " (create one with: init-ca --dir " + dir + ")");
    }
    if (!Files.isRegularFile(d.resolve(CA_KEY)) || !Files.isRegularFile(d.resolve(CA_CERT))) {
      throw new ProvisioningException("no fleet CA in " + dir + " (" + CA_KEY + " or " + CA_CERT
          + " missing; create one with: init-ca --dir " + dir + ")");
    }
    return new FleetStore(d);
  }

  /**
   * Creates the folder (0700) and a new CA, an empty CRL and an empty registry.
   *
   * @param force replace an existing CA (and with it the CRL and the registry)
   * @return the files written, in order
   * @throws ProvisioningException when a CA exists and {@code force} is false
   */
  @SuppressWarnings("try") // the lock is held for the block, never referenced
  public static List<Path> initialise(Path dir, boolean force, Instant now) throws IOException {
    Path d = dir.toAbsolutePath().normalize();
    if (Files.isDirectory(d) && !Files.exists(d.resolve(CA_KEY)) && !isEmpty(d)) {
      // The CA key must not share a folder (and its permissions) with unrelated files.
      throw new ProvisioningException(dir + " is not empty and holds no fleet CA; use a new or empty folder");
    }
    SecureFiles.createPrivateDirectory(d);
    SecureFiles.restrict(d, SecureFiles.PRIVATE_DIR);
    FleetStore store = new FleetStore(d);
    try (FleetLock lock = store.lock()) {
      for (String name : List.of(CA_KEY, CA_CERT)) {
        if (Files.exists(d.resolve(name)) && !force) {
          throw new ProvisioningException(dir + " already holds a fleet CA (" + name + "); --force replaces it"
              + " and every certificate it issued stops being trusted");
        }
      }
      CertificateAuthority ca = CertificateAuthority.create(CertificateAuthority.COMMON_NAME, CA_VALIDITY, now);
      // The key goes first: a crash leaves a key without a certificate, never the reverse.
      SecureFiles.write(store.caKeyFile(), ascii(Pem.privateKey(ca.privateKey())), SecureFiles.OWNER_ONLY);
      SecureFiles.write(store.caCertificateFile(), ascii(Pem.certificate(ca.certificate())), SecureFiles.PUBLIC);
      store.writeCrl(ca.emptyCrl(now, CRL_VALIDITY));
      store.writeRegistry(NodeRegistry.empty());
      return List.of(store.caKeyFile(), store.caCertificateFile(), store.crlFile(), store.nodesFile());
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * Re-signs the CRL with the same entries, a new thisUpdate/nextUpdate and the CRL number plus one.
   * Call under {@link #lock()}.
   */
  public X509CRL refreshCrl(Instant now) throws IOException {
    X509CRL crl = ca().revoke(crl(), List.of(), now, CRL_VALIDITY);
    writeCrl(crl);
    return crl;
  }

  /** The absolute, normalised folder. */
  public Path dir() {
    return dir;
  }

  public Path caKeyFile() {
    return dir.resolve(CA_KEY);
  }

  public Path caCertificateFile() {
    return dir.resolve(CA_CERT);
  }

  public Path crlFile() {
    return dir.resolve(CRL);
  }

  public Path nodesFile() {
    return dir.resolve(NODES);
  }

  /** Takes the folder's exclusive lock; hold it across every read-modify-write. */
  public FleetLock lock() throws IOException {
    return FleetLock.acquire(dir.resolve(LOCK), LOCK_WAIT);
  }

  /** Loads the CA key and certificate and checks they belong together. */
  public CertificateAuthority ca() {
    return CertificateAuthority.of(Pem.readPrivateKey(caKeyFile()), Pem.readCertificate(caCertificateFile()));
  }

  /** The CA certificate file's bytes, for copying into bundles as {@code ca.crt}. */
  public byte[] caCertificatePem() throws IOException {
    return Files.readAllBytes(caCertificateFile());
  }

  public X509CRL crl() {
    return Pem.readCrl(crlFile());
  }

  public void writeCrl(X509CRL crl) throws IOException {
    SecureFiles.write(crlFile(), ascii(Pem.crl(crl)), SecureFiles.PUBLIC);
  }

  public NodeRegistry registry() {
    return NodeRegistry.read(nodesFile());
  }

  public void writeRegistry(NodeRegistry registry) throws IOException {
    SecureFiles.write(nodesFile(), registry.toJson(), SecureFiles.PUBLIC);
  }

  private static byte[] ascii(String pem) {
    return pem.getBytes(StandardCharsets.US_ASCII);
  }
}
