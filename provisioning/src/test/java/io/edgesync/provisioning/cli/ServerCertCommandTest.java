package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.Settings;
import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCertCommandTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  @TempDir
  Path tmp;

  @Test
  void serverCertificateHasEveryHostAsSanAndServerAuth() throws Exception {
    // GIVEN a fleet
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());
    Path out = tmp.resolve("cloud");

    // WHEN
    Cli.Result r = Cli.ok("server-cert", "--dir", fleet.toString(), "--host", "ingest.example.com,localhost,127.0.0.1,::1",
        "--out", out.toString());

    // THEN
    assertEquals(List.of("wrote " + out.resolve("server.key"), "wrote " + out.resolve("server.crt"),
        "wrote " + out.resolve("ca.crt"), "wrote " + out.resolve("cloud.yaml")), r.out().lines().toList());
    X509Certificate ca = TlsMaterial.certificate(fleet.resolve("ca.crt"));
    X509Certificate cert = TlsMaterial.certificate(out.resolve("server.crt"));
    cert.verify(ca.getPublicKey());
    cert.checkValidity();
    assertEquals("CN=ingest.example.com", cert.getSubjectX500Principal().getName());
    assertEquals(List.of(List.of(2, "ingest.example.com"), List.of(2, "localhost"), List.of(7, "127.0.0.1"),
        List.of(7, "0:0:0:0:0:0:0:1")), List.copyOf(cert.getSubjectAlternativeNames()));
    assertEquals(List.of(SERVER_AUTH), cert.getExtendedKeyUsage());
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    long days = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays();
    assertTrue(days >= 729 && days <= 730, "2 years, got " + days + " days");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("server.key"))));
    assertEquals(cert.getPublicKey().getAlgorithm(), TlsMaterial.pkcs8Key(out.resolve("server.key")).getAlgorithm());
    assertArrayEquals(Files.readAllBytes(fleet.resolve("ca.crt")), Files.readAllBytes(out.resolve("ca.crt")));
  }

  @Test
  void cloudYamlLoadsWithSettingsAndItsPathsResolveToTheBundleAndTheFleetCrl() throws Exception {
    // GIVEN a cloud bundle in a folder that is not next to the fleet
    Path fleet = tmp.resolve("ops/fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());
    Path out = tmp.resolve("deploy/cloud/ingest");
    Cli.ok("server-cert", "--dir", fleet.toString(), "--host", "localhost", "--out", out.toString());

    // WHEN cloud-ingest would load it
    Settings s = Settings.load(out.resolve("cloud.yaml"), List.of());

    // THEN every documented value is there and every path names an existing file
    assertEquals(9443, s.port("ingest.port", 1));
    assertEquals(8080, s.port("http.port", 1));
    assertEquals(out.resolve("data"), s.path("data.dir", null));
    assertEquals("", s.string("kafka.bootstrap", "missing"));
    assertEquals(9092, s.port("kafka.embeddedPort", 1));
    assertEquals(out.resolve("server.crt"), s.existingFile("tls.cert", null));
    assertEquals(out.resolve("server.key"), s.existingFile("tls.key", null));
    assertEquals(out.resolve("ca.crt"), s.existingFile("tls.ca", null));
    assertEquals(fleet.resolve("crl.pem"), s.existingFile("tls.crl", null));
    assertEquals("../../../ops/fleet/crl.pem", s.string("tls.crl", null), "relative to the bundle");
    s.requireAllKnown();
    assertTrue(Files.readString(out.resolve("cloud.yaml")).contains("bootstrap: \"\"  # empty = start the embedded broker"));
  }

  @Test
  void refusesToOverwriteAServerKeyWithoutForce() throws Exception {
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());
    Path out = tmp.resolve("cloud");
    Cli.ok("server-cert", "--dir", fleet.toString(), "--host", "localhost", "--out", out.toString());
    byte[] key = Files.readAllBytes(out.resolve("server.key"));

    Cli.Result r = Cli.run("server-cert", "--dir", fleet.toString(), "--host", "localhost", "--out", out.toString());

    assertEquals(1, r.code(), r.toString());
    assertEquals(List.of("provisioning server-cert: " + out.resolve("server.key") + " exists; --force replaces it"),
        r.errLines());
    assertArrayEquals(key, Files.readAllBytes(out.resolve("server.key")));
    Cli.ok("server-cert", "--dir", fleet.toString(), "--host", "localhost", "--out", out.toString(), "--force");
    assertTrue(!java.util.Arrays.equals(key, Files.readAllBytes(out.resolve("server.key"))), "--force issues a new key");
  }

  @Test
  void aHostThatIsNeitherDnsNameNorIpIsAUsageError() throws Exception {
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());

    Cli.Result r = Cli.run("server-cert", "--dir", fleet.toString(), "--host", "localhost,bad host!", "--out",
        tmp.resolve("cloud").toString());

    assertEquals(2, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().contains("'bad host!' is neither an IP address nor a valid DNS name"), r.err());
    assertTrue(Files.notExists(tmp.resolve("cloud")), "nothing written");
  }
}
