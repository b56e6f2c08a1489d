package io.edgesync.model;

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
}
