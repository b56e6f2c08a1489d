package io.edgesync.provisioning.pki;

import io.edgesync.provisioning.ProvisioningException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemGenerationException;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * PEM encoding and decoding of keys, certificates and CRLs with BouncyCastle's PEM writer and
 * parser. Keys are written as unencrypted PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), the form
 * Vert.x {@code PemKeyCertOptions}, OpenSSL and the JDK all read. Conversions use the JDK's
 * default JCA providers, so no provider has to be registered.
 *
 * <p>Stateless and thread-safe. Every read failure is a {@link ProvisioningException} naming the file.
 */
public final class Pem {
  private Pem() {}

  /** {@code -----BEGIN CERTIFICATE-----} text. */
  public static String certificate(X509Certificate certificate) {
    return write(certificate);
  }

  /** {@code -----BEGIN PRIVATE KEY-----} (PKCS#8, unencrypted) text. */
  public static String privateKey(PrivateKey key) {
    try {
      // JcaPEMWriter alone would write the traditional "EC PRIVATE KEY" form; force PKCS#8.
      return write(new JcaPKCS8Generator(key, null));
    } catch (PemGenerationException e) {
      throw new ProvisioningException("cannot encode private key: " + e.getMessage(), e);
    }
  }

  /** {@code -----BEGIN X509 CRL-----} text. */
  public static String crl(X509CRL crl) {
    return write(crl);
  }

  /** Reads the first certificate in {@code file}. */
  public static X509Certificate readCertificate(Path file) {
    for (Object o : objects(file)) {
      if (o instanceof X509CertificateHolder holder) {
        try {
          return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
          throw new ProvisioningException(file + ": not a valid certificate: " + e.getMessage(), e);
        }
      }
    }
    throw new ProvisioningException(file + ": contains no PEM certificate");
  }

  /** Reads a PKCS#8 or traditional (OpenSSL "EC PRIVATE KEY") unencrypted private key. */
  public static PrivateKey readPrivateKey(Path file) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    for (Object o : objects(file)) {
      try {
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      } catch (IOException e) {
        throw new ProvisioningException(file + ": not a valid private key: " + e.getMessage(), e);
      }
      if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
        throw new ProvisioningException(file + ": encrypted private keys are not supported");
      }
      // "EC PARAMETERS" blocks (openssl ecparam -genkey) precede the key; skip them.
      if (!(o instanceof ASN1ObjectIdentifier) && !(o instanceof X9ECParameters)) {
        break;
      }
    }
    throw new ProvisioningException(file + ": contains no PEM private key");
  }

  /** Reads the first CRL in {@code file}. */
  public static X509CRL readCrl(Path file) {
    for (Object o : objects(file)) {
      if (o instanceof X509CRLHolder holder) {
        try {
          return new JcaX509CRLConverter().getCRL(holder);
        } catch (CRLException e) {
          throw new ProvisioningException(file + ": not a valid CRL: " + e.getMessage(), e);
        }
      }
    }
    throw new ProvisioningException(file + ": contains no PEM CRL");
  }

  private static List<Object> objects(Path file) {
    List<Object> out = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
         PEMParser parser = new PEMParser(reader)) {
      // Bounded: a PEM bundle of ours holds a handful of objects.
      for (int i = 0; i < 64; i++) {
        Object o = parser.readObject();
        if (o == null) {
          break;
        }
        out.add(o);
      }
    } catch (NoSuchFileException e) {
      throw new ProvisioningException(file + ": no such file");
    } catch (IOException | RuntimeException e) {
      throw new ProvisioningException(file + ": not valid PEM: " + firstLine(e.getMessage()), e);
    }
    return out;
  }

  private static String write(Object pemObject) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      if (pemObject instanceof PemObjectGenerator generator) {
        writer.writeObject(generator);
      } else {
        writer.writeObject(pemObject);
      }
    } catch (IOException e) {
      throw new ProvisioningException("cannot PEM-encode " + pemObject.getClass().getSimpleName()
          + ": " + e.getMessage(), e);
    }
    return text.toString();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
