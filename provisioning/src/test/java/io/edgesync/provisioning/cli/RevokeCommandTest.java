package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevokeCommandTest {
  @TempDir
  Path tmp;

  @Test
  void revokePutsTheSerialIntoTheResignedCrlAndMarksTheNode() throws Exception {
    // GIVEN two enrolled nodes
    Cli.Fleet f = Cli.fleet(tmp, "edge-1", "edge-2");
    X509Certificate ca = TlsMaterial.certificate(f.dir().resolve("ca.crt"));
    X509Certificate one = TlsMaterial.certificate(f.nodes().get(0).resolve("node.crt"));
    X509Certificate two = TlsMaterial.certificate(f.nodes().get(1).resolve("node.crt"));
    X509CRL before = TlsMaterial.crl(f.dir().resolve("crl.pem"));

    // WHEN edge-1 is revoked
    Cli.Result r = Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");

    // THEN
    assertEquals(List.of("revoked node edge-1 (serial " + one.getSerialNumber().toString(16).toUpperCase().replaceFirst(
        "^(?=(..)*.$)", "0") + ")", "wrote " + f.dir().resolve("crl.pem"), "wrote " + f.dir().resolve("nodes.json")),
        r.out().lines().toList());
    X509CRL crl = TlsMaterial.crl(f.dir().resolve("crl.pem"));
    crl.verify(ca.getPublicKey());
    assertTrue(crl.isRevoked(one));
    assertFalse(crl.isRevoked(two));
    assertEquals(1, crl.getRevokedCertificates().size());
    assertNull(crl.getRevokedCertificate(one).getRevocationReason(), "unspecified: no reason code");
    assertEquals(CertificateAuthority.crlNumber(before).add(java.math.BigInteger.ONE), CertificateAuthority.crlNumber(crl));
    assertTrue(!crl.getThisUpdate().before(before.getThisUpdate()));
    assertTrue(crl.getNextUpdate().toInstant().isAfter(Instant.now().plus(Duration.ofDays(364))));

    JsonNode nodes = new ObjectMapper().readTree(f.dir().resolve("nodes.json").toFile()).get("nodes");
    assertEquals("edge-1", nodes.get(0).get("id").asText());
    assertTrue(nodes.get(0).get("revoked").asBoolean());
    assertFalse(nodes.get(0).get("revokedAt").isNull());
    assertEquals("edge-2", nodes.get(1).get("id").asText());
    assertFalse(nodes.get(1).get("revoked").asBoolean());
  }

  @Test
  void aSecondRevocationKeepsTheFirstEntryAndRecordsTheReason() throws Exception {
    Cli.Fleet f = Cli.fleet(tmp, "edge-1", "edge-2");
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");

    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-2", "--reason", "key_compromise");

    X509CRL crl = TlsMaterial.crl(f.dir().resolve("crl.pem"));
    X509Certificate two = TlsMaterial.certificate(f.nodes().get(1).resolve("node.crt"));
    assertEquals(2, crl.getRevokedCertificates().size());
    assertTrue(crl.isRevoked(TlsMaterial.certificate(f.nodes().get(0).resolve("node.crt"))));
    assertTrue(crl.isRevoked(two));
    assertEquals(CRLReason.KEY_COMPROMISE, crl.getRevokedCertificate(two).getRevocationReason());
    assertEquals(3, CertificateAuthority.crlNumber(crl).intValue());
  }

  @Test
  void refreshCrlResignsTheSameEntriesWithANewNumberAndPeriod() throws Exception {
    // GIVEN a CRL with one entry
    Cli.Fleet f = Cli.fleet(tmp, "edge-1");
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");
    X509CRL before = TlsMaterial.crl(f.dir().resolve("crl.pem"));

    // WHEN
    Cli.Result r = Cli.ok("refresh-crl", "--dir", f.dir().toString());

    // THEN
    X509CRL after = TlsMaterial.crl(f.dir().resolve("crl.pem"));
    after.verify(TlsMaterial.certificate(f.dir().resolve("ca.crt")).getPublicKey());
    assertEquals(before.getRevokedCertificates(), after.getRevokedCertificates());
    assertEquals(3, CertificateAuthority.crlNumber(after).intValue());
    assertTrue(!after.getNextUpdate().before(before.getNextUpdate()));
    assertTrue(r.out().startsWith("CRL number 3, 1 revoked, next update "), r.out());
    assertTrue(r.out().endsWith("wrote " + f.dir().resolve("crl.pem") + "\n"), r.out());
  }

  @Test
  void revokingAnUnknownNodeIsAOneLineFailure() throws Exception {
    Cli.Fleet f = Cli.fleet(tmp, "edge-1");
    byte[] crl = Files.readAllBytes(f.dir().resolve("crl.pem"));

    Cli.Result r = Cli.run("revoke", "--dir", f.dir().toString(), "--node-id", "ghost");

    assertEquals(1, r.code(), r.toString());
    assertEquals(List.of("provisioning revoke: unknown node ghost (not in " + f.dir().resolve("nodes.json") + ")"),
        r.errLines());
    assertEquals("", r.out());
    assertArrayEquals(crl, Files.readAllBytes(f.dir().resolve("crl.pem")));
  }

  @Test
  void revokingARevokedNodeAgainIsAOneLineFailure() throws Exception {
    Cli.Fleet f = Cli.fleet(tmp, "edge-1");
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");

    Cli.Result r = Cli.run("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");

    assertEquals(1, r.code(), r.toString());
    assertEquals(1, r.errLines().size(), r.toString());
    assertTrue(r.err().startsWith("provisioning revoke: node edge-1 is already revoked"), r.err());
    assertEquals(1, TlsMaterial.crl(f.dir().resolve("crl.pem")).getRevokedCertificates().size());
  }
}
