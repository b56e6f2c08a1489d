package io.edgesync.model;

import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who a fleet certificate names. A node certificate's CN is the node id
 * ({@code [A-Za-z0-9._-]{1,64}}, never a ':'); an operator certificate's CN is
 * {@code operator:NAME}, so the two can never be confused. Both chain to the fleet CA.
 */
public final class Identities {
  /** CN prefix of operator certificates (rollout commands on the cloud's mTLS port). */
  public static final String OPERATOR_PREFIX = "operator:";

  private Identities() {}

  /** Whether {@code commonName} (may be null) names an operator. */
  public static boolean isOperator(String commonName) {
    return commonName != null && commonName.startsWith(OPERATOR_PREFIX)
        && commonName.length() > OPERATOR_PREFIX.length();
  }

  /** The CN of the operator called {@code name}. */
  public static String operatorCommonName(String name) {
    return OPERATOR_PREFIX + name;
  }

  /** The CN of {@code cert}'s subject (a node id, an operator, a device's name), or null. */
  public static String commonName(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType())) {
          return rdn.getValue().toString();
        }
      }
      return null;
    } catch (InvalidNameException e) {
      return null;
    }
  }
}
