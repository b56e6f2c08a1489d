package io.edgesync.cloud.ingest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the {@link IngestServer}; see docs/CONFIG-cloud.md.
 *
 * @param host             bind address
 * @param port             port, 0 = a free one (see {@link IngestServer#actualPort()})
 * @param maxBatchBytes    largest frame, and largest inflated body, in bytes
 * @param maxInflightBytes request bytes held in memory over all requests before 503
 * @param cert             server certificate chain, PEM
 * @param key              server key, PKCS#8 PEM
 * @param ca               fleet CA, PEM
 * @param crl              CRL, PEM, or null
 * @param crlPollMs        CRL mtime check interval
 */
public record IngestOptions(String host, int port, int maxBatchBytes, long maxInflightBytes, Path cert, Path key,
    Path ca, Path crl, long crlPollMs) {
  public IngestOptions {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(cert, "cert");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(ca, "ca");
  }
}
