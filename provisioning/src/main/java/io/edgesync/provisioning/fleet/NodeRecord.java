package io.edgesync.provisioning.fleet;

import java.time.Instant;
import java.util.Objects;

/**
 * One node of the registry (nodes.json): the node's current certificate and whether it is revoked.
 *
 * @param id         node id (= certificate CN)
 * @param group      rollout group, or null
 * @param serial     serial of the current certificate, upper-case hex
 * @param notAfter   expiry of the current certificate
 * @param revoked    the current certificate is on the CRL
 * @param enrolledAt when the current certificate was issued
 * @param revokedAt  when it was revoked, or null
 */
public record NodeRecord(String id, String group, String serial, Instant notAfter, boolean revoked,
    Instant enrolledAt, Instant revokedAt) {
  public NodeRecord {
    NodeId.require(id, "node id");
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(notAfter, "notAfter");
    Objects.requireNonNull(enrolledAt, "enrolledAt");
    if (revoked != (revokedAt != null)) {
      throw new IllegalArgumentException("revokedAt must be set exactly when revoked");
    }
  }

  /** This record with the certificate marked revoked at {@code at}. */
  public NodeRecord revokedAt(Instant at) {
    return new NodeRecord(id, group, serial, notAfter, true, enrolledAt, at);
  }
}
