package io.edgesync.cloud.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/** The ingest endpoint's meters (names in docs/CLOUD.md). Thread-safe. */
final class IngestMetrics {
  /** The {@code result} tag of {@code cloud_batches_total}. */
  enum Result { OK, DUPLICATE, GAP, LOG_EPOCH, NOT_OWNER, REJECTED, ERROR }

  private final MeterRegistry registry;
  private final Map<Result, Counter> batches = new EnumMap<>(Result.class);
  final DistributionSummary frameBytes;
  final Counter crlReloads;
  final Counter tlsHandshakeFailures;

  IngestMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Result r : Result.values()) {
      batches.put(r, Counter.builder("cloud_batches").tag("result", r.name().toLowerCase())
          .description("batches by outcome").register(registry));
    }
    frameBytes = DistributionSummary.builder("cloud_ingest_frame_bytes").baseUnit("bytes")
        .description("size of accepted batch frames").register(registry);
    tlsHandshakeFailures = Counter.builder("cloud_tls_handshake_failures")
        .description("TLS handshakes refused: unknown CA, revoked or missing client certificate").register(registry);
    crlReloads = Counter.builder("cloud_tls_crl_reloads").description("CRL file reloads").register(registry);
  }

  void batch(Result r) {
    batches.get(r).increment();
  }

  /** Counts a request refused for the certificate's role (NOT_OPERATOR, OPERATOR_AS_NODE). */
  void forbidden(String reason) {
    Counter.builder("cloud_forbidden_requests").tag("reason", reason)
        .description("requests refused because of the certificate: its role (NOT_OPERATOR, OPERATOR_AS_NODE) or a revocation after its connection opened (REVOKED)")
        .register(registry).increment();
  }

  /** Counts a refused batch by its error code (NODE_MISMATCH, CRC_MISMATCH, TOO_LARGE, ...). */
  void rejected(String code) {
    Counter.builder("cloud_batches_rejected").tag("reason", code).description("refused batches by reason")
        .register(registry).increment();
  }
}
