package io.edgesync.provisioning.pki;

import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.util.IPAddress;

/**
 * One subject alternative name: a DNS name or an IP address literal.
 *
 * @param kind  DNS or IP
 * @param value the name as written in the certificate (IPv6 without brackets)
 */
public record SubjectAltName(Kind kind, String value) {
  /** The two kinds of name a TLS peer checks. */
  public enum Kind { DNS, IP }

  // RFC 1123 labels; a leading "*." wildcard is allowed. No underscores: the JDK refuses them.
  private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  private static final Pattern DNS_NAME = Pattern.compile("(?:\\*\\.)?" + LABEL + "(?:\\." + LABEL + ")*");

  public SubjectAltName {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
  }

  /**
   * An IP SAN when {@code name} is an IPv4 or IPv6 literal (IPv6 may be bracketed), else a DNS SAN.
   * Never resolves anything.
   *
   * @throws IllegalArgumentException when the name is neither an IP literal nor a valid DNS name
   */
  public static SubjectAltName parse(String name) {
    String n = name == null ? "" : name.trim();
    if (n.startsWith("[") && n.endsWith("]")) {
      n = n.substring(1, n.length() - 1);
    }
    if (IPAddress.isValid(n)) {
      return new SubjectAltName(Kind.IP, n);
    }
    if (isDnsName(n)) {
      return new SubjectAltName(Kind.DNS, n);
    }
    throw new IllegalArgumentException("'" + name + "' is neither an IP address nor a valid DNS name");
  }

  /** True for a DNS name the JDK accepts in a certificate (letters, digits, hyphens, dots). */
  public static boolean isDnsName(String name) {
    return name.length() <= 253 && DNS_NAME.matcher(name).matches();
  }

  GeneralName toGeneralName() {
    return new GeneralName(kind == Kind.IP ? GeneralName.iPAddress : GeneralName.dNSName, value);
  }

  @Override
  public String toString() {
    return kind + ":" + value;
  }
}
