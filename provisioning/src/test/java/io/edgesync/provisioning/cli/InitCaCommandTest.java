package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCaCommandTest {
  @TempDir
  Path tmp;

  @Test
  void createsPrivateFleetFolderWithCaCrlAndEmptyRegistry() throws Exception {
    // GIVEN a folder that does not exist yet
    Path fleet = tmp.resolve("a/fleet");

    // WHEN
    Cli.Result r = Cli.ok("init-ca", "--dir", fleet.toString());

    // THEN it prints each file it wrote, one a line
    assertEquals(List.of("wrote " + fleet.resolve("ca.key"), "wrote " + fleet.resolve("ca.crt"),
        "wrote " + fleet.resolve("crl.pem"), "wrote " + fleet.resolve("nodes.json")), r.out().lines().toList());
    assertEquals("", r.err());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fleet)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fleet.resolve("ca.key"))));
    assertFalse(r.out().contains("PRIVATE KEY"), "the key is never printed");

    // AND the key is PKCS#8 PEM EC and belongs to the self-signed CA certificate
    var key = TlsMaterial.pkcs8Key(fleet.resolve("ca.key"));
    assertEquals("EC", key.getAlgorithm());
    X509Certificate ca = TlsMaterial.certificate(fleet.resolve("ca.crt"));
    ca.verify(ca.getPublicKey());
    assertEquals("CN=edgesync fleet CA", ca.getSubjectX500Principal().getName());
    assertTrue(ca.getBasicConstraints() >= 0, "CA:true");
    assertTrue(ca.getCriticalExtensionOIDs().contains("2.5.29.19"), "basicConstraints is critical");
    boolean[] usage = ca.getKeyUsage();
    assertTrue(usage[5] && usage[6], "keyCertSign and cRLSign");
    assertFalse(usage[0], "no digitalSignature");
    long days = Duration.between(Instant.now(), ca.getNotAfter().toInstant()).toDays();
    assertTrue(days >= 3649 && days <= 3650, "10 years, got " + days + " days");

    // AND the CRL is empty, signed by the CA, number 1, next update about a year away
    X509CRL crl = TlsMaterial.crl(fleet.resolve("crl.pem"));
    crl.verify(ca.getPublicKey());
    assertEquals(null, crl.getRevokedCertificates());
    assertEquals(ca.getSubjectX500Principal(), crl.getIssuerX500Principal());
    assertEquals(1, CertificateAuthority.crlNumber(crl).intValue());
    assertTrue(crl.getNextUpdate().toInstant().isAfter(Instant.now().plus(Duration.ofDays(364))));

    // AND the registry is empty
    JsonNode nodes = new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile());
    assertEquals(1, nodes.get("format").asInt());
    assertEquals(0, nodes.get("nodes").size());
  }

  @Test
  void refusesToReplaceAnExistingCaWithoutForce() throws Exception {
    // GIVEN a fleet
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());
    byte[] key = Files.readAllBytes(fleet.resolve("ca.key"));

    // WHEN init-ca runs again
    Cli.Result r = Cli.run("init-ca", "--dir", fleet.toString());

    // THEN one line on stderr, exit 1, key untouched
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().startsWith("provisioning init-ca: " + fleet + " already holds a fleet CA"), r.err());
    assertEquals("", r.out());
    assertArrayEquals(key, Files.readAllBytes(fleet.resolve("ca.key")));
  }

  @Test
  void refusesAFolderThatHoldsOtherFiles() throws Exception {
    Path busy = Files.createDirectory(tmp.resolve("busy"));
    Files.writeString(busy.resolve("notes.txt"), "x");
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(busy));

    Cli.Result r = Cli.run("init-ca", "--dir", busy.toString(), "--force");

    assertEquals(1, r.code(), r.toString());
    assertEquals(List.of("provisioning init-ca: " + busy + " is not empty and holds no fleet CA; use a new or empty"
        + " folder"), r.errLines());
    assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(busy)), "permissions untouched");
    assertTrue(Files.notExists(busy.resolve("ca.key")));
  }

  @Test
  void anEmptyExistingFolderBecomesPrivate() throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));

    Cli.ok("init-ca", "--dir", empty.toString());

    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(empty)));
  }

  @Test
  void forceReplacesTheCaAndStartsAnEmptyRegistry() throws Exception {
    // GIVEN a fleet with one node
    Cli.Fleet f = Cli.fleet(tmp, "edge-1");
    X509Certificate before = TlsMaterial.certificate(f.dir().resolve("ca.crt"));

    // WHEN
    Cli.ok("init-ca", "--dir", f.dir().toString(), "--force");

    // THEN a new CA, and the old node is gone from the registry
    X509Certificate after = TlsMaterial.certificate(f.dir().resolve("ca.crt"));
    assertNotEquals(before.getSerialNumber(), after.getSerialNumber());
    assertNotEquals(before.getPublicKey(), after.getPublicKey());
    assertEquals(0, new ObjectMapper().readTree(f.dir().resolve("nodes.json").toFile()).get("nodes").size());
    assertEquals("NODE  GROUP  SERIAL  NOT AFTER  REVOKED", Cli.ok("list", "--dir", f.dir().toString()).out().strip());
  }
}
