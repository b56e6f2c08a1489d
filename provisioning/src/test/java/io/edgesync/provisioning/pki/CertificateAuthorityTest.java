package io.edgesync.provisioning.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.pki.CertificateAuthority.Revocation;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private static final CertificateAuthority CA =
      CertificateAuthority.create(CertificateAuthority.COMMON_NAME, Duration.ofDays(3650), NOW);

  private static X509Certificate issue(String cn) {
    KeyPair pair = KeyPairs.generateP256();
    return CA.issue(pair.getPublic(), new CertificateSpec(cn, List.of(SubjectAltName.parse("localhost")),
        Set.of(KeyPurpose.CLIENT_AUTH), Duration.ofDays(1)), NOW);
  }

  @Test
  void issuedCertificateIsBackdatedForClockSkewAndSignedByTheCa() throws Exception {
    X509Certificate cert = issue("edge-1");

    cert.verify(CA.certificate().getPublicKey());
    assertEquals(NOW.minus(CertificateAuthority.CLOCK_SKEW), cert.getNotBefore().toInstant());
    assertEquals(NOW.plus(Duration.ofDays(1)), cert.getNotAfter().toInstant());
    assertEquals(List.of(KeyPurpose.CLIENT_AUTH.oid()), cert.getExtendedKeyUsage());
  }

  @Test
  void serialsAreRandomPositiveAndDistinct() {
    BigInteger a = issue("a").getSerialNumber();
    BigInteger b = issue("b").getSerialNumber();

    assertTrue(a.signum() > 0 && b.signum() > 0);
    assertFalse(a.equals(b));
    assertTrue(a.bitLength() <= 128 && b.bitLength() <= 128);
  }

  @Test
  void aCertificateMayNotOutliveTheCa() {
    KeyPair pair = KeyPairs.generateP256();
    CertificateSpec spec = new CertificateSpec("x", List.of(), Set.of(KeyPurpose.SERVER_AUTH), Duration.ofDays(3651));

    ProvisioningException e = assertThrows(ProvisioningException.class, () -> CA.issue(pair.getPublic(), spec, NOW));

    assertTrue(e.getMessage().contains("would outlive the fleet CA"), e.getMessage());
  }

  @Test
  void revokeCarriesEntriesOverIncrementsTheNumberAndSkipsDuplicates() throws Exception {
    X509Certificate one = issue("one");
    X509Certificate two = issue("two");
    X509CRL empty = CA.emptyCrl(NOW, Duration.ofDays(365));

    X509CRL first = CA.revoke(empty, List.of(new Revocation(one.getSerialNumber(), NOW, RevocationReason.UNSPECIFIED)),
        NOW, Duration.ofDays(365));
    X509CRL second = CA.revoke(first, List.of(
        new Revocation(one.getSerialNumber(), NOW.plusSeconds(5), RevocationReason.KEY_COMPROMISE),
        new Revocation(two.getSerialNumber(), NOW.plusSeconds(5), RevocationReason.CESSATION_OF_OPERATION)),
        NOW.plusSeconds(5), Duration.ofDays(7));

    second.verify(CA.certificate().getPublicKey());
    assertEquals(BigInteger.ONE, CertificateAuthority.crlNumber(empty));
    assertEquals(BigInteger.valueOf(2), CertificateAuthority.crlNumber(first));
    assertEquals(BigInteger.valueOf(3), CertificateAuthority.crlNumber(second));
    assertEquals(2, second.getRevokedCertificates().size());
    assertEquals(NOW, second.getRevokedCertificate(one).getRevocationDate().toInstant(), "first revocation kept");
    assertEquals(null, second.getRevokedCertificate(one).getRevocationReason());
    assertEquals(java.security.cert.CRLReason.CESSATION_OF_OPERATION,
        second.getRevokedCertificate(two).getRevocationReason());
    assertEquals(NOW.plusSeconds(5), second.getThisUpdate().toInstant());
    assertEquals(NOW.plusSeconds(5).plus(Duration.ofDays(7)), second.getNextUpdate().toInstant());
  }

  @Test
  void aCrlOfAnotherCaIsRefused() {
    CertificateAuthority other = CertificateAuthority.create("other", Duration.ofDays(10), NOW);
    X509CRL foreign = other.emptyCrl(NOW, Duration.ofDays(1));

    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> CA.revoke(foreign, List.of(), NOW, Duration.ofDays(1)));

    assertTrue(e.getMessage().startsWith("the CRL was not signed by this fleet CA"), e.getMessage());
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateIsRefused() {
    KeyPair stranger = KeyPairs.generateP256();

    ProvisioningException e = assertThrows(ProvisioningException.class,
        () -> CertificateAuthority.of(stranger.getPrivate(), CA.certificate()));

    assertEquals("the CA key does not belong to the CA certificate", e.getMessage());
  }

  @Test
  void subjectAltNamesAreIpLiteralsOrDnsNames() {
    assertEquals(new SubjectAltName(SubjectAltName.Kind.IP, "10.1.2.3"), SubjectAltName.parse("10.1.2.3"));
    assertEquals(new SubjectAltName(SubjectAltName.Kind.IP, "fe80::1"), SubjectAltName.parse("[fe80::1]"));
    assertEquals(new SubjectAltName(SubjectAltName.Kind.DNS, "ingest-1.example.com"),
        SubjectAltName.parse("ingest-1.example.com"));
    assertEquals(new SubjectAltName(SubjectAltName.Kind.DNS, "*.example.com"), SubjectAltName.parse("*.example.com"));
    for (String bad : List.of("", "a_b", "-a", "a..b", "a b", "a:b", "1.2.3.4:80")) {
      assertThrows(IllegalArgumentException.class, () -> SubjectAltName.parse(bad), bad);
    }
  }
}
