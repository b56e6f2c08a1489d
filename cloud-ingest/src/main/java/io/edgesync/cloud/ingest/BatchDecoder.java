package io.edgesync.cloud.ingest;

import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.model.Event;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.MalformedEnvelopeException;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.BatchFormatException;
import io.edgesync.wire.BatchView;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the body of {@code POST /v1/batches} into a {@link PreparedBatch}: decodes the frame
 * (magic, version, CRC, lengths), checks the frame's node id against the certificate CN, decodes
 * every envelope, checks priorities and contiguous class sequence numbers, and builds the Kafka
 * records. Stateless and thread-safe; runs on an event loop for small frames, on a worker for
 * large ones. Public for the JMH benchmark ({@code CloudPrepareBenchmark}); only
 * {@link IngestServer} calls it in the product.
 */
public final class BatchDecoder {
  private BatchDecoder() {}

  /**
   * @param frame             the request body
   * @param certNodeId        CN of the client certificate
   * @param maxInflatedBytes  limit of the uncompressed body
   * @throws IngestError 400 (format, envelope, sequence), 403 NODE_MISMATCH, 413 TOO_LARGE
   */
  public static PreparedBatch decode(byte[] frame, String certNodeId, int maxInflatedBytes) {
    BatchView batch;
    try {
      // envelopes are decoded where they lie in the inflated body, never copied out one by one
      batch = BatchCodec.decodeView(frame, maxInflatedBytes);
    } catch (BatchFormatException e) {
      int status = e.reason() == BatchFormatException.Reason.TOO_LARGE ? 413 : 400;
      throw new IngestError(status, e.reason().name(), e.getMessage());
    }
    if (!batch.nodeId().equals(certNodeId)) {
      throw new IngestError(403, "NODE_MISMATCH", "the frame claims node '" + batch.nodeId()
          + "' but the client certificate is for '" + certNodeId + "'");
    }
    byte[] body = batch.body();
    List<PreparedEvent> events = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Event e;
      try {
        e = EnvelopeCodec.decode(body, batch.envelopeOffset(i), batch.envelopeLength(i));
      } catch (MalformedEnvelopeException ex) {
        throw new IngestError(400, "BAD_ENVELOPE", "event " + i + ": " + ex.getMessage());
      }
      if (e.priority() != batch.priority()) {
        throw new IngestError(400, "BAD_ENVELOPE", "event " + i + " is " + e.priority().label()
            + " in a " + batch.priority().label() + " batch");
      }
      long expected = batch.firstClassSeq() + i;
      if (e.classSeq() != expected) {
        throw new IngestError(400, "BAD_SEQUENCE", "event " + i + " has classSeq " + e.classSeq()
            + ", expected " + expected);
      }
      events.add(EventRecords.prepare(batch.nodeId(), e));
    }
    return new PreparedBatch(batch.nodeId(), batch.priority(), batch.firstClassSeq(), events, batch.skipGap(),
        batch.logEpoch());
  }
}
