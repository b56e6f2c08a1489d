package io.edgesync.provisioning.bundle;

import io.edgesync.provisioning.fleet.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The cloud-ingest bundle {@code server-cert} writes into {@code --out DIR}:
 * <pre>
 * server.key   0600  PKCS#8 PEM, EC P-256
 * server.crt   0644  server certificate (SANs = --host names, EKU serverAuth)
 * ca.crt       0644  copy of the fleet CA certificate (trust anchor for node client certs)
 * cloud.yaml   0644  config; paths relative to DIR; tls.crl points back at FLEET/crl.pem
 * </pre>
 *
 * @param crlPath the fleet CRL as written into {@code tls.crl}: relative to DIR when possible
 */
public record CloudBundle(String crlPath) {
  public static final String KEY = "server.key";
  public static final String CERT = "server.crt";
  public static final String CA = "ca.crt";
  public static final String CONFIG = "cloud.yaml";

  public CloudBundle {
    Objects.requireNonNull(crlPath, "crlPath");
  }

  /** A bundle for {@code outDir} whose {@code tls.crl} names {@code crlFile} relative to {@code outDir}. */
  public static CloudBundle forFolder(Path outDir, Path crlFile) {
    Path out = outDir.toAbsolutePath().normalize();
    Path crl = crlFile.toAbsolutePath().normalize();
    String path;
    try {
      path = out.relativize(crl).toString().replace('\\', '/');
    } catch (IllegalArgumentException e) {
      // different roots (another drive): only an absolute path can name it
      path = crl.toString();
    }
    return new CloudBundle(path);
  }

  /** The cloud.yaml text. */
  public String cloudYaml() {
    return new YamlDocument()
        .comment("edgesync cloud-ingest configuration, written by: provisioning server-cert")
        .comment("Run: java -jar cloud-ingest.jar --config cloud.yaml")
        .comment("Relative paths resolve against this file's folder.")
        .put("ingest.port", 9443)
        .put("http.port", 8080)
        .put("data.dir", "data")
        .put("kafka.bootstrap", "", "empty = start the embedded broker on kafka.embeddedPort")
        .put("kafka.embeddedPort", 9092)
        .put("tls.cert", CERT)
        .put("tls.key", KEY)
        .put("tls.ca", CA)
        .put("tls.crl", crlPath, "the fleet CRL: revocations made later with `provisioning revoke` land here")
        .render();
  }

  /** Whether {@code outDir} already holds a server key (overwriting needs --force). */
  public static boolean existsIn(Path outDir) {
    return Files.exists(outDir.resolve(KEY));
  }

  /** Writes every file into {@code outDir} (created 0700 when missing) and returns them in order. */
  public List<Path> write(Path outDir, PrivateKey key, X509Certificate certificate, byte[] caPem) throws IOException {
    BundleFiles files = new BundleFiles(outDir);
    files.privateKey(KEY, key);
    files.certificate(CERT, certificate);
    files.bytes(CA, caPem);
    files.write(CONFIG, cloudYaml(), SecureFiles.PUBLIC);
    return files.written();
  }
}
