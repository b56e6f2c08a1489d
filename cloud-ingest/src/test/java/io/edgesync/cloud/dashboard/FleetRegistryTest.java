package io.edgesync.cloud.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.ingest.NodeActivity;
import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.cloud.kafka.WriteOutcome;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The fleet view with an injected clock: online/offline, lag percentiles, alerts, bounds, estimates. */
class FleetRegistryTest {
  private static final long T0 = 1_800_000_000_000L;
  private final AtomicLong now = new AtomicLong(T0);
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final FleetRegistry fleet = new FleetRegistry(new NodeActivity(), now::get, 3, meters);

  private static JsonObject heartbeat(String node, long intervalMs, long backlog, double inPerSec) {
    return new JsonObject().put("nodeId", node).put("version", "1.2.3").put("configVersion", "abc123")
        .put("intervalMs", intervalMs).put("sentAt", T0)
        .put("link", new JsonObject().put("state", "up").put("endpoint", "cloud:9443"))
        .put("backlog", new JsonObject().put("events", backlog).put("bytes", backlog * 100).put("oldestAgeMs", 500))
        .put("rates", new JsonObject().put("inPerSec", inPerSec).put("outPerSec", inPerSec))
        .put("totals", new JsonObject().put("deadLetters", 2).put("ruleHits", 5).put("alerts", 1))
        .put("mqtt", new JsonObject().put("connections", 4));
  }

  private static PreparedBatch batch(String node, long firstClassSeq, long[] eventTimes, EventKind kind) {
    List<PreparedEvent> events = new ArrayList<>();
    for (int i = 0; i < eventTimes.length; i++) {
      long c = firstClassSeq + i;
      String payload = kind == EventKind.ALERT
          ? "{\"ruleId\":\"over-temp\",\"severity\":\"critical\",\"source\":\"dev-1\",\"topic\":\"sensors/dev-1/temp\"}"
          : "{\"value\":" + c + "}";
      events.add(EventRecords.prepare(node, new Event(c, c, Priority.NORMAL, kind == EventKind.ALERT ? "rule:over-temp"
          : "dev-1", kind == EventKind.ALERT ? "alerts/over-temp" : "sensors/dev-1/temp", null, eventTimes[i],
          eventTimes[i], payload.getBytes(StandardCharsets.UTF_8), kind, null)));
    }
    return new PreparedBatch(node, Priority.NORMAL, firstClassSeq, events);
  }

  private JsonObject view(String node) {
    return fleet.node(node, Map.of());
  }

  @Test
  void aNodeIsOnlineUntilThreeHeartbeatIntervalsPassWithoutContact() {
    fleet.recordHeartbeat("n1", heartbeat("n1", 1000, 10, 50));
    assertEquals("online", view("n1").getString("state"));
    now.addAndGet(3000);
    assertEquals("online", view("n1").getString("state"), "exactly 3 intervals: still online");
    now.addAndGet(1);
    assertEquals("offline", view("n1").getString("state"));
    assertFalse(fleet.isOnline("n1"));
    // a committed batch is contact too
    fleet.batchCommitted("n1", batch("n1", 1, new long[] {now.get() - 10}, EventKind.EVENT),
        WriteOutcome.committed(1, 1, 0));
    assertTrue(fleet.isOnline("n1"));
    now.addAndGet(3001);
    assertFalse(fleet.isOnline("n1"));
    // a node that never said its interval gets the default (5 s)
    fleet.recordHeartbeat("n2", new JsonObject().put("nodeId", "n2"));
    now.addAndGet(3 * FleetRegistry.DEFAULT_HEARTBEAT_INTERVAL_MS);
    assertTrue(fleet.isOnline("n2"));
    now.addAndGet(1);
    assertFalse(fleet.isOnline("n2"));
  }

  @Test
  void classesANodeReportsAsNotFlowingAreShownWithTheirReasonBounded() {
    fleet.recordHeartbeat("n1", heartbeat("n1", 1000, 10, 50));
    assertEquals(new JsonObject(), view("n1").getJsonObject("problems"), "a flowing node reports none");

    JsonObject hb = heartbeat("n1", 1000, 300, 50);
    hb.getJsonObject("link").put("problems", new JsonObject()
        .put("normal", "the cloud has committed normal up to 900 but this log ends at 250")
        .put("bulk", "x".repeat(5000))
        .put("no-such-class", "ignored")
        .put("critical", 42)
        .put("log", "group commits fail: No space left on device"));
    fleet.recordHeartbeat("n1", hb);
    JsonObject problems = view("n1").getJsonObject("problems");
    assertEquals("the cloud has committed normal up to 900 but this log ends at 250", problems.getString("normal"));
    assertEquals(FleetRegistry.MAX_PROBLEM_CHARS + 1, problems.getString("bulk").length());
    assertEquals("group commits fail: No space left on device", problems.getString("log"));
    assertEquals(3, problems.size(), problems.encode());
  }

  @Test
  void anOfflineNodesBacklogIsEstimatedFromItsLastInputRate() {
    fleet.recordHeartbeat("n1", heartbeat("n1", 1000, 100, 50));
    JsonObject online = view("n1").getJsonObject("backlog");
    assertEquals(100, online.getLong("events"));
    assertFalse(online.getBoolean("estimated"));
    now.addAndGet(10_000);
    JsonObject offline = view("n1");
    assertEquals("offline", offline.getString("state"));
    assertEquals("unreachable", offline.getString("link"));
    assertEquals(0.0, offline.getDouble("eventsInPerSec"));
    JsonObject b = offline.getJsonObject("backlog");
    assertTrue(b.getBoolean("estimated"));
    assertEquals(100 + 50 * 10, b.getLong("events"));
    assertEquals(500 + 10_000, b.getLong("oldestAgeMs"));
    assertEquals(100, b.getLong("reportedEvents"));
  }

  @Test
  void lagIsCommitTimeMinusEventTimeWithRollingPercentiles() {
    long[] times = new long[100];
    for (int i = 0; i < times.length; i++) {
      times[i] = T0 - (i + 1) * 10L; // lags 10, 20, ... 1000 ms
    }
    fleet.batchCommitted("n1", batch("n1", 1, times, EventKind.EVENT), WriteOutcome.committed(100, 100, 0));
    JsonObject lag = view("n1").getJsonObject("lagMs");
    // 64 samples per batch at most: stride 1 for 100 events (100 / 64 = 1)
    assertEquals(100, lag.getInteger("samples"));
    assertEquals(500, lag.getLong("p50"));
    assertEquals(950, lag.getLong("p95"));
    assertEquals(1000, lag.getLong("last"));
    // only the written tail of a batch counts: 2 of 3 events new
    fleet.batchCommitted("n2", batch("n2", 1, new long[] {T0 - 5000, T0 - 40, T0 - 20}, EventKind.EVENT),
        WriteOutcome.committed(3, 2, 1));
    JsonObject lag2 = view("n2").getJsonObject("lagMs");
    assertEquals(2, lag2.getInteger("samples"));
    assertEquals(20, lag2.getLong("p50"));
    assertEquals(40, lag2.getLong("p95"));
    assertEquals(20, lag2.getLong("last"));
    // samples leave the window after a minute
    now.addAndGet(FleetRegistry.LAG_WINDOW_MS + 1);
    JsonObject old = view("n1").getJsonObject("lagMs");
    assertEquals(0, old.getInteger("samples"));
    assertNull(old.getLong("p50"));
    assertEquals(1000, old.getLong("last"));
    assertEquals(102, meters.get("cloud_event_lag").timer().count());
  }

  @Test
  void keepsTheLatestFiftyAlertsAndCountsRecordsByTopic() {
    long[] times = new long[60];
    java.util.Arrays.fill(times, T0 - 100);
    fleet.batchCommitted("n1", batch("n1", 1, times, EventKind.ALERT), WriteOutcome.committed(60, 60, 0));
    JsonArray alerts = fleet.alerts(100);
    assertEquals(FleetRegistry.MAX_ALERTS, alerts.size());
    JsonObject a = alerts.getJsonObject(0);
    assertEquals("n1", a.getString("nodeId"));
    assertEquals("over-temp", a.getString("ruleId"));
    assertEquals("critical", a.getString("severity"));
    assertEquals("n1:60", a.getString("eventId"), "newest first");
    assertEquals(60, view("n1").getLong("alertsWritten"));
    assertEquals(60.0, meters.get("cloud_records_written").tag("topic", "edge.alerts").counter().count());
    assertEquals(0.0, meters.get("cloud_records_written").tag("topic", "edge.events").counter().count());
  }

  @Test
  void theViewHoldsAtMostMaxNodesAndForgetsTheLeastRecentlySeen() {
    fleet.recordHeartbeat("a", heartbeat("a", 1000, 0, 0));
    now.addAndGet(10);
    fleet.recordHeartbeat("b", heartbeat("b", 1000, 0, 0));
    now.addAndGet(10);
    fleet.recordHeartbeat("c", heartbeat("c", 1000, 0, 0));
    now.addAndGet(10);
    fleet.recordHeartbeat("a", heartbeat("a", 1000, 0, 0));
    fleet.recordHeartbeat("d", heartbeat("d", 1000, 0, 0));
    JsonArray nodes = fleet.nodes(Map.of());
    assertEquals(3, nodes.size());
    assertEquals(List.of("a", "c", "d"), nodes.stream().map(o -> ((JsonObject) o).getString("nodeId")).toList());
    assertEquals(1.0, meters.get("cloud_fleet_evictions").counter().count());
  }

  @Test
  void tickComputesRatesAndKeepsABoundedHistory() {
    fleet.recordHeartbeat("n1", heartbeat("n1", 1000, 0, 40));
    fleet.recordHeartbeat("n2", heartbeat("n2", 1000, 0, 60));
    fleet.tick();
    long[] times = new long[500];
    java.util.Arrays.fill(times, T0);
    now.addAndGet(1000);
    fleet.recordHeartbeat("n1", heartbeat("n1", 1000, 0, 40));
    fleet.recordHeartbeat("n2", heartbeat("n2", 1000, 0, 60));
    fleet.batchCommitted("n1", batch("n1", 1, times, EventKind.EVENT), WriteOutcome.committed(500, 500, 0));
    fleet.tick();
    JsonObject f = fleet.snapshot(Map.of(), 10).getJsonObject("fleet");
    assertEquals(2, f.getInteger("online"));
    assertEquals(100.0, f.getDouble("inPerSec"));
    assertEquals(500.0, f.getDouble("writtenPerSec"));
    assertEquals(2, f.getJsonArray("history").size());
    for (int i = 0; i < FleetRegistry.HISTORY_POINTS + 5; i++) {
      now.addAndGet(1000);
      fleet.tick();
    }
    JsonObject later = fleet.snapshot(Map.of(), 10).getJsonObject("fleet");
    assertEquals(FleetRegistry.HISTORY_POINTS, later.getJsonArray("history").size());
    assertEquals(0, later.getInteger("online"));
    assertEquals(0.0, later.getDouble("inPerSec"), "offline nodes do not count in the fleet rate");
  }
}
