package io.edgesync.provisioning.pki;

import org.bouncycastle.asn1.x509.CRLReason;

/** CRL entry reason codes (RFC 5280 §5.3.1) the CLI offers. */
public enum RevocationReason {
  /** No reason code in the entry (RFC 5280: unspecified SHOULD be omitted). */
  UNSPECIFIED(CRLReason.unspecified),
  KEY_COMPROMISE(CRLReason.keyCompromise),
  /** A newer certificate replaced this one (re-enrolment). */
  SUPERSEDED(CRLReason.superseded),
  /** The node was decommissioned. */
  CESSATION_OF_OPERATION(CRLReason.cessationOfOperation);

  private final int code;

  RevocationReason(int code) {
    this.code = code;
  }

  /** The RFC 5280 reason code. */
  public int code() {
    return code;
  }
}
