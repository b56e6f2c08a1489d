package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnrolCommandTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  @TempDir
  Path tmp;

  private Path initFleet() {
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());
    return fleet;
  }

  @Test
  void nodeCertificateVerifiesAgainstTheCaWithNodeIdCnAndBothEkus() throws Exception {
    // GIVEN
    Path fleet = initFleet();
    Path out = tmp.resolve("bundle");

    // WHEN
    Cli.Result r = Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "cloud.example:9443",
        "--out", out.toString(), "--group", "lab");

    // THEN
    assertEquals(List.of("wrote " + out.resolve("node.key"), "wrote " + out.resolve("node.crt"),
        "wrote " + out.resolve("ca.crt"), "wrote " + out.resolve("edge.yaml"), "wrote " + out.resolve("edge-node.service"),
        "wrote " + out.resolve("install.sh"), "wrote " + fleet.resolve("nodes.json")), r.out().lines().toList());
    X509Certificate ca = TlsMaterial.certificate(fleet.resolve("ca.crt"));
    X509Certificate cert = TlsMaterial.certificate(out.resolve("node.crt"));
    cert.verify(ca.getPublicKey());
    cert.checkValidity();
    assertEquals(ca.getSubjectX500Principal(), cert.getIssuerX500Principal());
    assertEquals("CN=edge-1", cert.getSubjectX500Principal().getName());
    assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), cert.getExtendedKeyUsage().stream().sorted().toList());
    assertEquals(List.of(List.of(2, "edge-1"), List.of(2, "localhost")), List.copyOf(cert.getSubjectAlternativeNames()));
    assertEquals(-1, cert.getBasicConstraints());
    assertTrue(cert.getKeyUsage()[0], "digitalSignature");
    assertTrue(cert.getSerialNumber().signum() > 0 && cert.getSerialNumber().bitLength() > 64, "random 128-bit serial");
    long days = Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays();
    assertTrue(days >= 364 && days <= 365, "1 year, got " + days + " days");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("node.key"))));
    assertEquals("EC", TlsMaterial.pkcs8Key(out.resolve("node.key")).getAlgorithm());
    assertArrayEquals(Files.readAllBytes(fleet.resolve("ca.crt")), Files.readAllBytes(out.resolve("ca.crt")));

    // AND the registry records it
    JsonNode node = new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile()).get("nodes").get(0);
    assertEquals("edge-1", node.get("id").asText());
    assertEquals("lab", node.get("group").asText());
    assertEquals(cert.getSerialNumber(), new BigInteger(node.get("serial").asText(), 16));
    assertEquals(cert.getNotAfter().toInstant(), Instant.parse(node.get("notAfter").asText()));
    assertFalse(node.get("revoked").asBoolean());
  }

  @Test
  void edgeYamlLoadsWithSettingsAndItsPathsResolveToTheBundle() throws Exception {
    Path fleet = initFleet();
    Path out = tmp.resolve("bundle");
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-2", "--cloud", "10.0.0.5:9443,[::1]:9443", "--out",
        out.toString(), "--group", "plant.north");

    Settings s = Settings.load(out.resolve("edge.yaml"), List.of());

    assertEquals("edge-2", s.requiredString("node.id"));
    assertEquals("plant.north", s.string("node.group", null));
    assertEquals(out.resolve("data"), s.path("data.dir", null));
    assertEquals(1883, s.port("mqtt.port", 1));
    assertEquals(8883, s.port("mqtt.tlsPort", 1));
    assertEquals(8081, s.port("http.port", 1));
    assertEquals(List.of(new HostPort("10.0.0.5", 9443), new HostPort("::1", 9443)),
        s.list("cloud.endpoints", List.of()).stream().map(e -> Settings.hostPort(s, "cloud.endpoints", e)).toList());
    assertEquals(out.resolve("node.crt"), s.existingFile("tls.cert", null));
    assertEquals(out.resolve("node.key"), s.existingFile("tls.key", null));
    assertEquals(out.resolve("ca.crt"), s.existingFile("tls.ca", null));
    s.requireAllKnown();
  }

  @Test
  void withoutGroupTheConfigHasNoGroupKey() throws Exception {
    Path fleet = initFleet();
    Path out = tmp.resolve("bundle");
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "007", "--cloud", "localhost:9443", "--out", out.toString());

    Settings s = Settings.load(out.resolve("edge.yaml"), List.of());

    assertEquals("007", s.requiredString("node.id"), "a numeric-looking id stays a string");
    assertFalse(s.has("node.group"));
    assertTrue(new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile()).get("nodes").get(0).get("group").isNull());
  }

  @Test
  void systemdUnitAndInstallScriptNameTheInstallFolder() throws Exception {
    Path fleet = initFleet();
    Path out = tmp.resolve("bundle");
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-3", "--cloud", "localhost:9443", "--out", out.toString());

    String unit = Files.readString(out.resolve("edge-node.service"));
    assertTrue(unit.contains("\nExecStart=/usr/bin/java $JAVA_OPTS -jar /opt/edgesync/edge-node.jar"
        + " --config /etc/edgesync/edge-3/edge.yaml --set data.dir=/var/lib/edgesync/edge-3\n"), unit);
    assertTrue(unit.contains("\nRestart=always\n"), unit);
    // bounded memory: heap, direct buffers and malloc arenas
    assertTrue(unit.contains("\nEnvironment=\"JAVA_OPTS=-Xms96m -Xmx96m -Xmn48m -XX:SurvivorRatio=4 -XX:+UseSerialGC "), unit);
    assertTrue(unit.contains("-XX:MaxDirectMemorySize=32m"), unit);
    assertTrue(unit.contains("-XX:+AlwaysPreTouch") && unit.contains("-XX:TrimNativeHeapInterval=5000"), unit);
    assertTrue(unit.contains("-XX:-TieredCompilation -XX:CICompilerCount=1"), unit);
    assertTrue(unit.contains("\nEnvironment=MALLOC_ARENA_MAX=2\n"), unit);
    assertTrue(unit.contains("\nUser=edgesync\n"), unit);
    assertTrue(unit.contains("\nLimitNOFILE=65536\n"), unit);
    assertTrue(unit.contains("\n[Install]\nWantedBy=multi-user.target\n"), unit);

    Path script = out.resolve("install.sh");
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(script)));
    String text = Files.readString(script);
    assertTrue(text.startsWith("#!/bin/sh\n"), text);
    assertTrue(text.contains("DEST='/etc/edgesync/edge-3'"), text);
    assertTrue(text.contains("/etc/systemd/system/edge-node.service"), text);
    Process sh = new ProcessBuilder("sh", "-n", script.toString()).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(10, TimeUnit.SECONDS), "sh -n finished");
    assertEquals(0, sh.exitValue(), new String(sh.getInputStream().readAllBytes()));
  }

  @Test
  void anIdThatIsNoDnsNameIsStillEnrolledWithOnlyTheLocalhostSan() throws Exception {
    Path fleet = initFleet();
    Path out = tmp.resolve("bundle");
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "line_7", "--cloud", "localhost:9443", "--out", out.toString());

    X509Certificate cert = TlsMaterial.certificate(out.resolve("node.crt"));

    assertEquals("CN=line_7", cert.getSubjectX500Principal().getName());
    assertEquals(List.of(List.of(2, "localhost")), List.copyOf(cert.getSubjectAlternativeNames()));
  }

  @Test
  void anInvalidNodeIdIsAOneLineUsageError() throws Exception {
    Path fleet = initFleet();
    for (String bad : List.of("bad/id", "..", "-x", "a b", "x".repeat(65), "")) {
      Cli.Result r = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", bad, "--cloud", "localhost:9443", "--out",
          tmp.resolve("b").toString());

      assertEquals(2, r.code(), bad + ": " + r);
      assertEquals(1, r.errLines().size(), bad + ": " + r);
      assertTrue(r.err().startsWith("provisioning enrol: "), r.err());
      assertTrue(r.err().contains("node id '" + bad + "' is invalid"), r.err());
      assertFalse(r.err().contains("\tat "), "no stack trace");
      assertTrue(Files.notExists(tmp.resolve("b")), "nothing written for " + bad);
    }
    assertEquals(0, new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile()).get("nodes").size());
  }

  @Test
  void anInvalidCloudEndpointOrGroupIsAUsageError() throws Exception {
    Path fleet = initFleet();

    Cli.Result noPort = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "e", "--cloud", "localhost", "--out",
        tmp.resolve("b").toString());
    Cli.Result badGroup = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "e", "--cloud", "localhost:9443",
        "--group", "a/b", "--out", tmp.resolve("b").toString());

    assertEquals(2, noPort.code(), noPort.toString());
    assertEquals(List.of("provisioning enrol: Invalid value for option '--cloud' (HOST:PORT): must be host:port (got localhost)"
        + " (try --help)"), noPort.errLines());
    assertEquals(2, badGroup.code(), badGroup.toString());
    assertEquals(1, badGroup.errLines().size(), badGroup.toString());
    assertTrue(badGroup.err().contains("group 'a/b' is invalid"), badGroup.err());
  }

  @Test
  void anUnknownFleetFolderIsAOneLineFailure() {
    Path missing = tmp.resolve("no-such-fleet");

    Cli.Result r = Cli.run("enrol", "--dir", missing.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443",
        "--out", tmp.resolve("b").toString());

    assertEquals(1, r.code(), r.toString());
    assertEquals(List.of("provisioning enrol: no fleet folder " + missing + " (create one with: init-ca --dir " + missing
        + ")"), r.errLines());
    assertEquals("", r.out());
    assertTrue(Files.notExists(tmp.resolve("b")));
  }

  @Test
  void aFolderWithoutCaIsAOneLineFailure() throws Exception {
    Path empty = Files.createDirectory(tmp.resolve("empty"));

    Cli.Result r = Cli.run("enrol", "--dir", empty.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443",
        "--out", tmp.resolve("b").toString());

    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().startsWith("provisioning enrol: no fleet CA in " + empty), r.err());
  }

  @Test
  void enrollingALiveNodeAgainIsRefusedWithoutForce() throws Exception {
    // GIVEN an enrolled node
    Path fleet = initFleet();
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443", "--out",
        tmp.resolve("b1").toString());
    byte[] registry = Files.readAllBytes(fleet.resolve("nodes.json"));

    // WHEN the same id is enrolled into another folder
    Cli.Result r = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443",
        "--out", tmp.resolve("b2").toString());

    // THEN
    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().startsWith("provisioning enrol: node edge-1 is already enrolled (serial "), r.err());
    assertTrue(r.err().contains("use --force to re-enrol"), r.err());
    assertTrue(Files.notExists(tmp.resolve("b2")), "no second bundle");
    assertArrayEquals(registry, Files.readAllBytes(fleet.resolve("nodes.json")));
  }

  @Test
  void reEnrolmentWithForceIssuesANewCertificateAndRevokesTheOldOne() throws Exception {
    // GIVEN an enrolled node
    Path fleet = initFleet();
    Path out = tmp.resolve("b");
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443", "--out", out.toString());
    X509Certificate first = TlsMaterial.certificate(out.resolve("node.crt"));

    // WHEN
    Cli.Result r = Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443",
        "--out", out.toString(), "--force");

    // THEN a new certificate and the old serial on the CRL as superseded
    X509Certificate second = TlsMaterial.certificate(out.resolve("node.crt"));
    assertNotEquals(first.getSerialNumber(), second.getSerialNumber());
    assertTrue(r.out().contains("revoked the previous certificate of edge-1"), r.out());
    assertTrue(r.out().contains("wrote " + fleet.resolve("crl.pem")), r.out());
    X509CRL crl = TlsMaterial.crl(fleet.resolve("crl.pem"));
    assertTrue(crl.isRevoked(first));
    assertFalse(crl.isRevoked(second));
    assertEquals(CRLReason.SUPERSEDED, crl.getRevokedCertificate(first).getRevocationReason());
    JsonNode nodes = new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile()).get("nodes");
    assertEquals(1, nodes.size());
    assertEquals(second.getSerialNumber(), new BigInteger(nodes.get(0).get("serial").asText(), 16));
    assertFalse(nodes.get(0).get("revoked").asBoolean());
  }

  @Test
  void aRevokedNodeCanBeEnrolledAgainWithoutForce() throws Exception {
    Path fleet = initFleet();
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443", "--out",
        tmp.resolve("b1").toString());
    Cli.ok("revoke", "--dir", fleet.toString(), "--node-id", "edge-1");

    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443", "--out",
        tmp.resolve("b2").toString());

    JsonNode node = new ObjectMapper().readTree(fleet.resolve("nodes.json").toFile()).get("nodes").get(0);
    X509Certificate fresh = TlsMaterial.certificate(tmp.resolve("b2/node.crt"));
    assertEquals(fresh.getSerialNumber(), new BigInteger(node.get("serial").asText(), 16));
    assertFalse(node.get("revoked").asBoolean());
    assertTrue(node.get("revokedAt").isNull());
    X509CRL crl = TlsMaterial.crl(fleet.resolve("crl.pem"));
    assertTrue(crl.isRevoked(TlsMaterial.certificate(tmp.resolve("b1/node.crt"))));
    assertFalse(crl.isRevoked(fresh));
    assertNull(crl.getRevokedCertificate(fresh));
    assertNotNull(crl.getRevokedCertificates());
  }

  @Test
  void daysSetsTheValidityAndACertificateMayNotOutliveTheCa() throws Exception {
    Path fleet = initFleet();
    Cli.ok("enrol", "--dir", fleet.toString(), "--node-id", "short", "--cloud", "localhost:9443", "--out",
        tmp.resolve("b1").toString(), "--days", "30");
    long days = Duration.between(Instant.now(), TlsMaterial.certificate(tmp.resolve("b1/node.crt")).getNotAfter()
        .toInstant()).toDays();
    assertTrue(days >= 29 && days <= 30, "30 days, got " + days);

    Cli.Result tooLong = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "long", "--cloud", "localhost:9443",
        "--out", tmp.resolve("b2").toString(), "--days", "4000");
    assertEquals(1, tooLong.code(), tooLong.toString());
    assertEquals(1, tooLong.errLines().size(), tooLong.toString());
    assertTrue(tooLong.err().contains("would outlive the fleet CA"), tooLong.err());

    Cli.Result zero = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "zero", "--cloud", "localhost:9443",
        "--out", tmp.resolve("b3").toString(), "--days", "0");
    assertEquals(2, zero.code(), zero.toString());
    assertEquals(List.of("provisioning enrol: --days must be 1..36500 (got 0) (try --help)"), zero.errLines());
  }

  @Test
  void theBundleMayNotBeWrittenIntoTheFleetFolder() throws Exception {
    Path fleet = initFleet();

    Cli.Result r = Cli.run("enrol", "--dir", fleet.toString(), "--node-id", "edge-1", "--cloud", "localhost:9443",
        "--out", fleet.toString());

    assertEquals(2, r.code(), r.toString());
    assertEquals(List.of("provisioning enrol: --out must not be the fleet folder " + fleet + " (try --help)"),
        r.errLines());
    assertTrue(Files.notExists(fleet.resolve("node.key")));
  }
}
