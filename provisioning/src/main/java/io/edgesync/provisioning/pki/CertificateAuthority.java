package io.edgesync.provisioning.pki;

import io.edgesync.provisioning.ProvisioningException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The fleet CA: its private key and self-signed certificate. Issues end-entity certificates and
 * signs the CRL. All signatures are {@value KeyPairs#SIGNATURE_ALGORITHM} with the JDK's providers.
 *
 * <p>Immutable and thread-safe. Failures are {@link ProvisioningException}s with one line.
 */
public final class CertificateAuthority {
  /** Subject CN of the CA certificate. */
  public static final String COMMON_NAME = "edgesync fleet CA";
  /** notBefore is set this far in the past so that a gateway with a slow clock accepts a fresh cert. */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  private final PrivateKey privateKey;
  private final X509Certificate certificate;

  private CertificateAuthority(PrivateKey privateKey, X509Certificate certificate) {
    this.privateKey = privateKey;
    this.certificate = certificate;
  }

  /**
   * A new CA: a fresh P-256 key and a self-signed certificate with basicConstraints CA:true
   * (critical, path length 0) and keyUsage keyCertSign+cRLSign (critical).
   */
  public static CertificateAuthority create(String commonName, Duration validity, Instant now) {
    KeyPair pair = KeyPairs.generateP256();
    X500Name subject = name(commonName);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, Serials.random(),
          Date.from(now.minus(CLOCK_SKEW)), Date.from(now.plus(validity)), subject, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer(pair.getPrivate())));
      return new CertificateAuthority(pair.getPrivate(), cert);
    } catch (GeneralSecurityException | IOException e) {
      throw new ProvisioningException("cannot create the CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The CA from its stored halves.
   *
   * @throws ProvisioningException when the certificate is not a CA or the key does not belong to it
   */
  public static CertificateAuthority of(PrivateKey privateKey, X509Certificate certificate) {
    if (certificate.getBasicConstraints() < 0) {
      throw new ProvisioningException("the CA certificate lacks basicConstraints CA:true");
    }
    if (!KeyPairs.matches(privateKey, certificate.getPublicKey())) {
      throw new ProvisioningException("the CA key does not belong to the CA certificate");
    }
    return new CertificateAuthority(privateKey, certificate);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  /**
   * Signs an end-entity certificate for {@code subjectKey}: basicConstraints CA:false (critical),
   * keyUsage digitalSignature (critical), the spec's EKUs, SANs, subject and authority key ids.
   *
   * @throws ProvisioningException when the certificate would outlive the CA
   */
  public X509Certificate issue(PublicKey subjectKey, CertificateSpec spec, Instant now) {
    Instant notAfter = now.plus(spec.validity());
    if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
      throw new ProvisioningException("a certificate valid until " + notAfter + " would outlive the fleet CA"
          + " (valid until " + certificate.getNotAfter().toInstant() + "); ask for fewer days");
    }
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      KeyPurposeId[] purposes = spec.purposes().stream().sorted().map(KeyPurpose::id).toArray(KeyPurposeId[]::new);
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, Serials.random(),
          Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), name(spec.commonName()), subjectKey)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate.getPublicKey()));
      if (!spec.altNames().isEmpty()) {
        GeneralName[] names = spec.altNames().stream().map(SubjectAltName::toGeneralName).toArray(GeneralName[]::new);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer(privateKey)));
    } catch (GeneralSecurityException | IOException e) {
      throw new ProvisioningException("cannot issue a certificate for " + spec.commonName() + ": " + e.getMessage(), e);
    }
  }

  /** A CRL with no entries and CRL number 1, valid from {@code now} for {@code nextUpdateIn}. */
  public X509CRL emptyCrl(Instant now, Duration nextUpdateIn) {
    return signCrl(null, List.of(), BigInteger.ONE, now, nextUpdateIn);
  }

  /**
   * A new CRL: every entry of {@code current} plus {@code additions} (serials already listed are
   * skipped), the CRL number one higher, thisUpdate {@code now}, nextUpdate {@code now + nextUpdateIn}.
   *
   * @throws ProvisioningException when {@code current} was not signed by this CA
   */
  public X509CRL revoke(X509CRL current, List<Revocation> additions, Instant now, Duration nextUpdateIn) {
    try {
      current.verify(certificate.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new ProvisioningException("the CRL was not signed by this fleet CA (" + e.getMessage() + ")", e);
    }
    List<Revocation> fresh = additions.stream()
        .filter(r -> current.getRevokedCertificate(r.serial()) == null)
        .toList();
    return signCrl(current, fresh, crlNumber(current).add(BigInteger.ONE), now, nextUpdateIn);
  }

  /** The CRL number extension of {@code crl}, or 0 when it has none. */
  public static BigInteger crlNumber(X509CRL crl) {
    byte[] value = crl.getExtensionValue(Extension.cRLNumber.getId());
    if (value == null) {
      return BigInteger.ZERO;
    }
    try {
      return ASN1Integer.getInstance(JcaX509ExtensionUtils.parseExtensionValue(value)).getValue();
    } catch (IOException | IllegalArgumentException e) {
      throw new ProvisioningException("the CRL has a malformed CRL number: " + e.getMessage(), e);
    }
  }

  private X509CRL signCrl(X509CRL current, List<Revocation> additions, BigInteger number, Instant now,
      Duration nextUpdateIn) {
    try {
      X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(certificate, Date.from(now))
          .setNextUpdate(Date.from(now.plus(nextUpdateIn)));
      if (current != null) {
        builder.addCRL(new JcaX509CRLHolder(current));
      }
      for (Revocation r : additions) {
        if (r.reason() == RevocationReason.UNSPECIFIED) {
          builder.addCRLEntry(r.serial(), Date.from(r.at()), (Extensions) null);
        } else {
          builder.addCRLEntry(r.serial(), Date.from(r.at()), r.reason().code());
        }
      }
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number))
          .addExtension(Extension.authorityKeyIdentifier, false,
              new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate.getPublicKey()));
      return new JcaX509CRLConverter().getCRL(builder.build(signer(privateKey)));
    } catch (GeneralSecurityException | IOException e) {
      throw new ProvisioningException("cannot sign the CRL: " + e.getMessage(), e);
    }
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(KeyPairs.SIGNATURE_ALGORITHM).build(key);
    } catch (OperatorCreationException e) {
      throw new ProvisioningException("cannot sign with the CA key: " + e.getMessage(), e);
    }
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  /**
   * One CRL entry to add.
   *
   * @param serial the revoked certificate's serial
   * @param at     revocation time
   * @param reason reason code (UNSPECIFIED: none in the entry)
   */
  public record Revocation(BigInteger serial, Instant at, RevocationReason reason) {
    public Revocation {
      Objects.requireNonNull(serial, "serial");
      Objects.requireNonNull(at, "at");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
