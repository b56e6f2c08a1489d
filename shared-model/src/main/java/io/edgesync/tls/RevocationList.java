package io.edgesync.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Revoked client certificates: one or more CRLs (PEM or DER), each signed by one of the CAs that
 * issue the clients' certificates. The edge checks a device's certificate against
 * {@code mqtt.clientCrl} at every MQTT CONNECT; cloud-ingest checks a node's against
 * {@code tls.crl} at every request, so a revocation also reaches connections opened before it
 * (the TLS layer checks only at the handshake). Immutable; a reload builds a new one.
 */
public final class RevocationList {
  private final List<X509CRL> crls;
  private final int revoked;
  /** The earliest nextUpdate of the CRLs, or null when none has one. */
  private final Instant nextUpdate;

  private RevocationList(List<X509CRL> crls) {
    this.crls = List.copyOf(crls);
    int n = 0;
    Instant next = null;
    for (X509CRL c : crls) {
      n += c.getRevokedCertificates() == null ? 0 : c.getRevokedCertificates().size();
      if (c.getNextUpdate() != null && (next == null || c.getNextUpdate().toInstant().isBefore(next))) {
        next = c.getNextUpdate().toInstant();
      }
    }
    this.revoked = n;
    this.nextUpdate = next;
  }

  /**
   * The CA certificates of {@code caFile} (PEM, one or more). Blocking.
   *
   * @throws IllegalArgumentException one line saying what is wrong
   */
  public static List<X509Certificate> readCas(Path caFile) {
    List<X509Certificate> cas = new ArrayList<>();
    try (InputStream in = Files.newInputStream(caFile)) {
      CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> cas.add((X509Certificate) c));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("its CA file " + caFile + " cannot be read: " + e.getMessage());
    }
    return cas;
  }

  /**
   * Reads {@code file} and checks each CRL's signature against the CA of {@code cas} that issued
   * it. Blocking (file I/O).
   *
   * @param caKey the config key naming the CAs, for the message
   * @throws IllegalArgumentException one line saying what is wrong (without the CRL's key)
   */
  public static RevocationList load(Path file, List<X509Certificate> cas, String caKey) {
    List<X509CRL> crls = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends CRL> parsed = CertificateFactory.getInstance("X.509").generateCRLs(in);
      parsed.forEach(c -> crls.add((X509CRL) c));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot be read: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("is not a CRL in PEM or DER: " + e.getMessage());
    }
    if (crls.isEmpty()) {
      throw new IllegalArgumentException("holds no CRL");
    }
    for (X509CRL crl : crls) {
      X509Certificate issuer = cas.stream()
          .filter(ca -> ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal()))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("holds a CRL of " + crl.getIssuerX500Principal()
              + ", which is not a CA of " + caKey));
      try {
        crl.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("holds a CRL of " + crl.getIssuerX500Principal()
            + " whose signature does not verify with that CA's key (" + e.getMessage() + ")");
      }
    }
    return new RevocationList(crls);
  }

  /** Whether a CRL of {@code cert}'s issuer lists its serial number. */
  public boolean revoked(X509Certificate cert) {
    for (X509CRL crl : crls) {
      if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) && crl.isRevoked(cert)) {
        return true;
      }
    }
    return false;
  }

  /** Revoked serial numbers over all the CRLs. */
  public int revokedCount() {
    return revoked;
  }

  /** Whether a CRL is past its nextUpdate: revocations issued since are not known. */
  public boolean stale(Instant now) {
    return nextUpdate != null && now.isAfter(nextUpdate);
  }

  public Instant nextUpdate() {
    return nextUpdate;
  }
}
