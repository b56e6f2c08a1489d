package io.edgesync.cloud.dashboard;

import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.WriteOutcome;
import io.vertx.core.http.HttpServerRequest;

/**
 * What the ingest endpoint tells the fleet view, and the one request it hands over. Implemented
 * by {@link FleetRegistry}; the ingest endpoint calls it on its event loops, so implementations
 * must not block.
 */
public interface FleetHooks {
  /**
   * A batch of {@code nodeId} was committed to Kafka with {@code outcome.written() > 0} new
   * events (the last {@code written} events of the batch); called when the reply is sent.
   */
  void batchCommitted(String nodeId, PreparedBatch batch, WriteOutcome outcome);

  /**
   * {@code POST /v1/heartbeat} arrived over mTLS; the implementation reads the body and answers.
   *
   * @param certNodeId the CN of the verified client certificate, or null when it has none
   */
  void heartbeat(HttpServerRequest req, String certNodeId);
}
