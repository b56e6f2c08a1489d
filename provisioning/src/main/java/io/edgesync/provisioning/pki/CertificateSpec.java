package io.edgesync.provisioning.pki;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an end-entity certificate says about its subject.
 *
 * @param commonName the subject CN (a node id, or the first host of the server)
 * @param altNames   subject alternative names, in order; may be empty
 * @param purposes   extended key usages; at least one
 * @param validity   how long from now the certificate is valid; positive
 */
public record CertificateSpec(String commonName, List<SubjectAltName> altNames, Set<KeyPurpose> purposes,
    Duration validity) {
  public CertificateSpec {
    Objects.requireNonNull(commonName, "commonName");
    if (commonName.isBlank()) {
      throw new IllegalArgumentException("commonName must not be blank");
    }
    altNames = List.copyOf(altNames);
    if (purposes.isEmpty()) {
      throw new IllegalArgumentException("at least one key purpose is required");
    }
    purposes = Set.copyOf(EnumSet.copyOf(purposes));
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive (got " + validity + ")");
    }
  }
}
