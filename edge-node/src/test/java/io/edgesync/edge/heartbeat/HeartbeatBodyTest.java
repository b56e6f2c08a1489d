package io.edgesync.edge.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The heartbeat document: rates from counter deltas, backlog from the status, totals from meters. */
class HeartbeatBodyTest {
  private static JsonObject status(long normalBacklog, long bulkBacklog) {
    JsonObject classes = new JsonObject()
        .put("critical", new JsonObject().put("backlog", 0))
        .put("normal", new JsonObject().put("backlog", normalBacklog))
        .put("bulk", new JsonObject().put("backlog", bulkBacklog));
    return new JsonObject().put("nodeId", "n1").put("version", "0.1.0").put("uptimeSeconds", 12)
        .put("mqtt", new JsonObject().put("connections", 3))
        .put("log", new JsonObject().put("classes", classes))
        .put("forwarder", new JsonObject().put("link", "backoff").put("endpoint", "cloud:9443")
            .put("e2eMs", new JsonObject().put("p50", 5).put("p95", 9).put("p99", 12)))
        .put("rules", new JsonObject().put("version", "0123456789ab"));
  }

  @Test
  void ratesAreCounterDeltasOverTheTimeSinceThePreviousHeartbeat() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    Counter inNormal = Counter.builder("edge.events.in").tag("class", "normal").register(r);
    Counter inBulk = Counter.builder("edge.events.in").tag("class", "bulk").register(r);
    Counter out = Counter.builder("edge.forward.events").tag("class", "normal").register(r);
    Counter.builder("edge.deadletters").tag("reason", "schema").register(r).increment(4);
    Counter.builder("edge.rule.hits").tag("rule", "a").register(r).increment(6);
    Counter.builder("edge.rule.alerts").register(r).increment(2);
    HeartbeatBody body = new HeartbeatBody(r, 2000);

    JsonObject first = body.build(status(0, 0), Map.of(), 10_000);
    assertEquals(0.0, first.getJsonObject("rates").getDouble("inPerSec"), "no previous heartbeat: no rate");

    inNormal.increment(300);
    inBulk.increment(100);
    out.increment(250);
    JsonObject hb = body.build(status(120, 30), Map.of(Priority.NORMAL, 800L, Priority.BULK, 1500L), 12_000);
    assertEquals(200.0, hb.getJsonObject("rates").getDouble("inPerSec"));
    assertEquals(125.0, hb.getJsonObject("rates").getDouble("outPerSec"));
    assertEquals("n1", hb.getString("nodeId"));
    assertEquals("0123456789ab", hb.getString("configVersion"));
    assertEquals(2000, hb.getLong("intervalMs"));
    assertEquals(12_000, hb.getLong("sentAt"));
    assertEquals("backoff", hb.getJsonObject("link").getString("state"));
    assertEquals("cloud:9443", hb.getJsonObject("link").getString("endpoint"));
    JsonObject backlog = hb.getJsonObject("backlog");
    assertEquals(150, backlog.getLong("events"));
    assertEquals(1500, backlog.getLong("oldestAgeMs"));
    assertNull(backlog.getLong("bytes"), "no edge.buffer.class.bytes gauge: unknown");
    assertEquals(800, backlog.getJsonObject("classes").getJsonObject("normal").getLong("oldestAgeMs"));
    assertNull(backlog.getJsonObject("classes").getJsonObject("critical").getLong("oldestAgeMs"));
    JsonObject totals = hb.getJsonObject("totals");
    assertEquals(400, totals.getLong("eventsIn"));
    assertEquals(250, totals.getLong("eventsOut"));
    assertEquals(4, totals.getLong("deadLetters"));
    assertEquals(6, totals.getLong("ruleHits"));
    assertEquals(2, totals.getLong("alerts"));
    assertEquals(3, hb.getJsonObject("mqtt").getInteger("connections"));
    assertEquals(9, hb.getJsonObject("e2eMs").getInteger("p95"));
  }

  @Test
  void aClassThatCannotFlowIsReportedWithItsReasonAndAFlowingOneIsNot() {
    JsonObject status = status(50, 0);
    status.getJsonObject("forwarder").put("link", "up").put("classes", new JsonObject()
        .put("critical", new JsonObject().put("held", false).putNull("problem"))
        .put("normal", new JsonObject().put("held", true).put("problem", "the cloud has committed normal up to 900"))
        .put("bulk", new JsonObject().put("held", false)));
    JsonObject hb = new HeartbeatBody(new SimpleMeterRegistry(), 2000).build(status, Map.of(), 10_000);
    assertEquals(new JsonObject().put("normal", "the cloud has committed normal up to 900"),
        hb.getJsonObject("link").getJsonObject("problems"));

    JsonObject flowing = new HeartbeatBody(new SimpleMeterRegistry(), 2000).build(status(0, 0), Map.of(), 10_000);
    assertEquals(new JsonObject(), flowing.getJsonObject("link").getJsonObject("problems"));

    // a log whose group commits fail (a full disk) is a problem of the whole node
    JsonObject full = status(0, 0);
    full.getJsonObject("log").put("writeError", "No space left on device");
    assertEquals(new JsonObject().put("log", "group commits fail: No space left on device"),
        new HeartbeatBody(new SimpleMeterRegistry(), 2000).build(full, Map.of(), 10_000)
            .getJsonObject("link").getJsonObject("problems"));
  }
}
