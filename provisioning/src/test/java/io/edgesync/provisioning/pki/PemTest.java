package io.edgesync.provisioning.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.ProvisioningException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
  @TempDir
  Path tmp;

  @Test
  void privateKeysAreWrittenAsPkcs8AndReadBack() throws Exception {
    KeyPair pair = KeyPairs.generateP256();
    Path file = tmp.resolve("k.pem");
    Files.writeString(file, Pem.privateKey(pair.getPrivate()));

    String text = Files.readString(file);
    assertTrue(text.startsWith("-----BEGIN PRIVATE KEY-----\n"), text);
    assertArrayEquals(pair.getPrivate().getEncoded(), Pem.readPrivateKey(file).getEncoded());
    assertTrue(KeyPairs.matches(Pem.readPrivateKey(file), pair.getPublic()));
  }

  @Test
  void readsATraditionalOpensslEcKeyWithParameters() throws Exception {
    // GIVEN a key in the form `openssl ecparam -genkey` writes (EC PARAMETERS + EC PRIVATE KEY)
    Path file = tmp.resolve("openssl.key");
    Process p = new ProcessBuilder("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", file.toString())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    assertTrue(Files.readString(file).contains("-----BEGIN EC PRIVATE KEY-----"));

    assertEquals("EC", Pem.readPrivateKey(file).getAlgorithm());
  }

  @Test
  void certificatesAndCrlsRoundTrip() throws Exception {
    CertificateAuthority ca = CertificateAuthority.create("t", Duration.ofDays(1), Instant.now());
    Path cert = tmp.resolve("c.pem");
    Path crl = tmp.resolve("crl.pem");
    Files.writeString(cert, Pem.certificate(ca.certificate()));
    Files.writeString(crl, Pem.crl(ca.emptyCrl(Instant.now(), Duration.ofDays(1))));

    assertEquals(ca.certificate(), Pem.readCertificate(cert));
    Pem.readCrl(crl).verify(ca.certificate().getPublicKey());
    assertTrue(Files.readString(crl).startsWith("-----BEGIN X509 CRL-----"));
  }

  @Test
  void unreadableFilesAreOneLineErrorsNamingTheFile() throws Exception {
    Path missing = tmp.resolve("missing.pem");
    Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "not pem at all\n");

    assertEquals(missing + ": no such file",
        assertThrows(ProvisioningException.class, () -> Pem.readPrivateKey(missing)).getMessage());
    assertEquals(garbage + ": contains no PEM private key",
        assertThrows(ProvisioningException.class, () -> Pem.readPrivateKey(garbage)).getMessage());
    assertEquals(garbage + ": contains no PEM certificate",
        assertThrows(ProvisioningException.class, () -> Pem.readCertificate(garbage)).getMessage());
  }
}
