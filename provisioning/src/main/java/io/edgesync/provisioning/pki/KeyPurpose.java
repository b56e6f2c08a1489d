package io.edgesync.provisioning.pki;

import org.bouncycastle.asn1.x509.KeyPurposeId;

/** The extended key usages the fleet issues. */
public enum KeyPurpose {
  /** TLS server: cloud-ingest, and the edge node's MQTT TLS listener. */
  SERVER_AUTH(KeyPurposeId.id_kp_serverAuth),
  /** TLS client: an edge node calling cloud-ingest. */
  CLIENT_AUTH(KeyPurposeId.id_kp_clientAuth);

  private final KeyPurposeId id;

  KeyPurpose(KeyPurposeId id) {
    this.id = id;
  }

  KeyPurposeId id() {
    return id;
  }

  /** The dotted OID, as {@code X509Certificate.getExtendedKeyUsage()} reports it. */
  public String oid() {
    return id.getId();
  }
}
