package io.edgesync.edge.forward;

import io.edgesync.config.HostPort;
import io.edgesync.wire.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the {@code BatchForwarder}; built by the edge config loader from the
 * {@code cloud.*}, {@code tls.*} and {@code forward.*} keys (see docs/CONFIG.md).
 *
 * @param nodeId          this node's id (must equal the CN of {@code tlsCert})
 * @param endpoints       cloud ingest endpoints, tried in order, failing over on error
 * @param tlsCert         node certificate (PEM)
 * @param tlsKey          node private key (PEM, PKCS#8)
 * @param tlsCa           fleet CA certificate (PEM) used to verify the cloud
 * @param maxBatchEvents  at most this many events per batch
 * @param maxBatchBytes   at most about this many envelope bytes per batch
 * @param linger          wait this long for a batch to fill once the first event is there
 * @param maxInFlight     batches sent but not yet answered, over all classes
 * @param compression     body compression
 * @param retryInitial    first backoff after a failure; doubles up to {@code retryMax}, full jitter
 * @param retryMax        ceiling of the backoff
 * @param requestTimeout  a batch not answered in this time counts as failed
 * @param maxEventsPerSec catch-up rate cap for the normal and bulk classes (events/s); 0 = none.
 *                        The cloud's admission hint can lower it, never raise it
 */
public record ForwarderConfig(
    String nodeId,
    List<HostPort> endpoints,
    Path tlsCert,
    Path tlsKey,
    Path tlsCa,
    int maxBatchEvents,
    int maxBatchBytes,
    Duration linger,
    int maxInFlight,
    Compression compression,
    Duration retryInitial,
    Duration retryMax,
    Duration requestTimeout,
    long maxEventsPerSec) {

  public ForwarderConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one cloud endpoint");
    }
    if (maxBatchEvents < 1 || maxBatchBytes < 1 || maxInFlight < 1 || maxEventsPerSec < 0) {
      throw new IllegalArgumentException("batch bounds and maxInFlight must be >= 1");
    }
    Objects.requireNonNull(compression, "compression");
  }
}
