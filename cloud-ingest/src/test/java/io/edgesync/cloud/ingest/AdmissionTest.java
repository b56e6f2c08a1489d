package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The admission hint (docs/PROTOCOL.md): in flight from the shard's queue fill, rate shared by active nodes. */
class AdmissionTest {
  @Test
  void batchesInFlightShrinkAsTheShardQueueFills() {
    assertEquals(8, Admission.inFlightFor(0.0, 8));
    assertEquals(8, Admission.inFlightFor(0.24, 8));
    assertEquals(4, Admission.inFlightFor(0.25, 8));
    assertEquals(2, Admission.inFlightFor(0.5, 8));
    assertEquals(1, Admission.inFlightFor(0.75, 8));
    assertEquals(1, Admission.inFlightFor(1.0, 8));
    assertEquals(1, Admission.inFlightFor(0.6, 2));
  }

  @Test
  void theInstanceRateIsSharedByTheNodesSeenInTheLastThirtySeconds() {
    NodeActivity activity = new NodeActivity();
    for (int i = 0; i < 1000; i++) {
      activity.seen("n" + i);
    }
    Map<String, Double> fill = Map.of("n1", 0.9);
    Admission a = new Admission(8, 50_000, n -> fill.getOrDefault(n, 0.0), activity);
    // a thousand nodes back online at once: 50 events/s each, and the one whose shard is busy gets 1 in flight
    assertEquals(new JsonObject().put("maxInFlight", 8).put("maxEventsPerSec", 50), a.hint("n0"));
    assertEquals(new JsonObject().put("maxInFlight", 1).put("maxEventsPerSec", 50), a.hint("n1"));
    assertEquals(0, Admission.rateFor(0, 1000));
    assertEquals(1, Admission.rateFor(10, 1000));
  }
}
