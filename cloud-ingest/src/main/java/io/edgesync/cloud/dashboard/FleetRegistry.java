package io.edgesync.cloud.dashboard;

import io.edgesync.cloud.ingest.NodeActivity;
import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.NodeWatermarks;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.kafka.WriteOutcome;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's in-memory view of the fleet, behind the dashboard and {@code /api/*}: for each
 * node the last heartbeat ({@code POST /v1/heartbeat}: backlog, link, rates, rule and
 * dead-letter counts, config version, edge clock), what the ingest path saw (batches committed,
 * events written, the Kafka append lag = commit time - event time as a rolling p50/p95), merged
 * with {@link NodeActivity} and the committed watermarks; plus the latest {@value #MAX_ALERTS}
 * alerts written to {@code edge.alerts} and a {@value #HISTORY_POINTS}-point history of the
 * fleet's events/s.
 *
 * <p>A node is <b>online</b> when a heartbeat or a batch arrived within
 * {@value #OFFLINE_AFTER_INTERVALS} heartbeat intervals (the interval the node reports, 5 s when
 * it never sent one), else <b>offline</b>. The cloud cannot see an offline node's log, so its
 * backlog is shown as an estimate: the last reported backlog plus the last reported input rate
 * times the time since that report ({@code "estimated": true}).
 *
 * <p>Bounds: at most {@code maxNodes} nodes (default {@value #DEFAULT_MAX_NODES}); a new node
 * beyond that evicts the node seen least recently ({@code cloud_fleet_evictions_total}). Per
 * node: the last heartbeat document (at most {@value #MAX_HEARTBEAT_BYTES} bytes) and
 * {@value #LAG_RING} lag samples (at most {@value #LAG_SAMPLES_PER_BATCH} per batch, evenly
 * spaced, plus its last event).
 *
 * <p>Threads: {@link #heartbeat}, {@link #batchCommitted} run on ingest event loops,
 * {@link #tick} and {@link #snapshot} on the dashboard's; every method is thread-safe and
 * non-blocking (short per-node locks). Time comes from the injected clock (epoch ms).
 */
public final class FleetRegistry implements FleetHooks {
  public static final int DEFAULT_MAX_NODES = 10_000;
  public static final int MAX_ALERTS = 50;
  public static final int MAX_HEARTBEAT_BYTES = 64 * 1024;
  /** Longest reason of a class's problem kept in the view. */
  static final int MAX_PROBLEM_CHARS = 500;
  /** The keys of a heartbeat's {@code link.problems} kept: the classes, and {@code log}. */
  private static final List<String> PROBLEM_KEYS = java.util.stream.Stream.concat(
      Arrays.stream(Priority.values()).map(Priority::label), java.util.stream.Stream.of("log")).toList();
  public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
  public static final int OFFLINE_AFTER_INTERVALS = 3;
  public static final int HISTORY_POINTS = 120;
  static final int LAG_SAMPLES_PER_BATCH = 64;
  static final int LAG_RING = 512;
  static final long LAG_WINDOW_MS = 60_000;
  private static final Logger LOG = LoggerFactory.getLogger(FleetRegistry.class);

  private final NodeActivity activity;
  private final LongSupplier clock;
  private final int maxNodes;
  private final Map<String, NodeState> nodes = new ConcurrentHashMap<>();
  /** Newest last; guarded by itself. */
  private final ArrayDeque<JsonObject> alerts = new ArrayDeque<>(MAX_ALERTS);
  /** Oldest first; guarded by itself. */
  private final ArrayDeque<JsonObject> history = new ArrayDeque<>(HISTORY_POINTS);
  private volatile long lastTickMs;
  private volatile int onlineCount;
  private final Map<String, Counter> heartbeats = new ConcurrentHashMap<>();
  private final Map<String, Counter> recordsWritten = new ConcurrentHashMap<>();
  private final Counter evictions;
  private final Timer lag;
  private final MeterRegistry registry;
  /** Adds the desired-config hint to a heartbeat's reply (rollouts); null = none. */
  private volatile BiFunction<String, JsonObject, JsonObject> configHint;

  /**
   * @param activity  what the ingest endpoint counts per node (merged into the views)
   * @param clock     epoch milliseconds (tests inject one)
   * @param maxNodes  nodes kept in memory
   * @param registry  where the {@code cloud_fleet_*}, {@code cloud_heartbeats_total},
   *                  {@code cloud_records_written_total} and {@code cloud_event_lag_seconds}
   *                  meters go
   */
  public FleetRegistry(NodeActivity activity, LongSupplier clock, int maxNodes, MeterRegistry registry) {
    if (maxNodes < 1) {
      throw new IllegalArgumentException("maxNodes must be >= 1 (got " + maxNodes + ")");
    }
    this.activity = activity;
    this.clock = clock;
    this.maxNodes = maxNodes;
    this.registry = registry;
    this.lastTickMs = clock.getAsLong();
    evictions = Counter.builder("cloud_fleet_evictions")
        .description("nodes dropped from the fleet view because it holds maxNodes nodes").register(registry);
    lag = Timer.builder("cloud_event_lag")
        .description("Kafka commit time minus event time of written events (sampled, at most 64 per batch)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
    Gauge.builder("cloud_fleet_nodes", this, r -> r.nodes.size()).tag("state", "known")
        .description("nodes in the fleet view").register(registry);
    Gauge.builder("cloud_fleet_nodes", this, r -> r.onlineCount).tag("state", "online")
        .description("nodes in the fleet view").register(registry);
    for (String r : List.of("ok", "forbidden", "invalid", "too_large")) {
      heartbeatCounter(r);
    }
    for (String t : List.of(TopicSetup.EVENTS, TopicSetup.ALERTS, TopicSetup.DEADLETTER)) {
      recordsCounter(t);
    }
  }

  /**
   * Lets {@code hint} see every accepted heartbeat (node id, document) on the ingest event loop; a
   * non-null result goes into the reply as {@code "config"}. Must not block.
   */
  public FleetRegistry configHint(BiFunction<String, JsonObject, JsonObject> hint) {
    this.configHint = hint;
    return this;
  }

  /** The last heartbeat document of {@code nodeId} received by this instance, or null. */
  public JsonObject lastHeartbeat(String nodeId) {
    NodeState n = nodes.get(nodeId);
    if (n == null) {
      return null;
    }
    synchronized (n) {
      return n.heartbeat;
    }
  }

  // ------------------------------------------------------------------ heartbeat endpoint

  @Override
  public void heartbeat(HttpServerRequest req, String certNodeId) {
    if (certNodeId == null) {
      refuse(req, 403, "forbidden", "NODE_MISMATCH", "the client certificate has no CN");
      return;
    }
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && parseLong(length.trim()) > MAX_HEARTBEAT_BYTES) {
      refuse(req, 413, "too_large", "TOO_LARGE", "heartbeat above " + MAX_HEARTBEAT_BYTES + " bytes");
      return;
    }
    Promise<Buffer> body = Promise.promise();
    Buffer buf = Buffer.buffer(1024);
    req.handler(chunk -> {
      if (buf.length() + chunk.length() > MAX_HEARTBEAT_BYTES) {
        body.tryFail("too large");
      } else if (!body.future().isComplete()) {
        buf.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> body.tryComplete(buf));
    req.exceptionHandler(body::tryFail);
    body.future().onComplete(ar -> {
      if (ar.failed()) {
        refuse(req, 413, "too_large", "TOO_LARGE", "heartbeat above " + MAX_HEARTBEAT_BYTES + " bytes");
        return;
      }
      JsonObject hb;
      try {
        hb = ar.result().toJsonObject();
      } catch (RuntimeException e) {
        refuse(req, 400, "invalid", "BAD_HEARTBEAT", "not a JSON object: " + e.getMessage());
        return;
      }
      String claimed = hb.getValue("nodeId") instanceof String s ? s : null;
      if (claimed != null && !claimed.equals(certNodeId)) {
        refuse(req, 403, "forbidden", "NODE_MISMATCH",
            "heartbeat for " + claimed + " over the certificate of " + certNodeId);
        return;
      }
      long now = recordHeartbeat(certNodeId, hb);
      heartbeatCounter("ok").increment();
      JsonObject answer = new JsonObject().put("nodeId", certNodeId).put("serverTime", now);
      BiFunction<String, JsonObject, JsonObject> hint = configHint;
      JsonObject config = hint == null ? null : hint.apply(certNodeId, hb);
      if (config != null) {
        answer.put("config", config);
      }
      reply(req, 200, answer);
    });
  }

  /**
   * Records a heartbeat of {@code nodeId} (already authenticated).
   *
   * @return the receive time (epoch ms)
   */
  public long recordHeartbeat(String nodeId, JsonObject hb) {
    long now = clock.getAsLong();
    NodeState n = state(nodeId);
    synchronized (n) {
      n.heartbeat = hb;
      n.lastHeartbeatMs = now;
      long interval = hb.getValue("intervalMs") instanceof Number x ? x.longValue() : 0;
      n.intervalMs = interval > 0 ? interval : DEFAULT_HEARTBEAT_INTERVAL_MS;
      if (hb.getValue("sentAt") instanceof Number sentAt) {
        // one-way: includes the network latency of the heartbeat (typically milliseconds)
        n.clockOffsetMs = sentAt.longValue() - now;
        n.hasClockOffset = true;
      }
    }
    return now;
  }

  private void refuse(HttpServerRequest req, int status, String result, String code, String message) {
    heartbeatCounter(result).increment();
    LOG.debug("heartbeat refused: {} {} {}", status, code, message);
    reply(req, status, new JsonObject().put("error", code).put("message", message));
  }

  private static void reply(HttpServerRequest req, int status, JsonObject body) {
    if (req.response().ended() || req.response().closed()) {
      return;
    }
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.toBuffer());
  }

  // ------------------------------------------------------------------ ingest path

  @Override
  public void batchCommitted(String nodeId, PreparedBatch batch, WriteOutcome outcome) {
    int written = outcome.written();
    if (written <= 0) {
      return;
    }
    long now = clock.getAsLong();
    List<PreparedEvent> events = batch.events();
    int from = Math.max(0, events.size() - written);
    int stride = Math.max(1, written / LAG_SAMPLES_PER_BATCH);
    long[] samples = new long[written / stride + 2];
    int sampleCount = 0;
    int alertCount = 0;
    int deadLetters = 0;
    List<PreparedEvent> alertEvents = null;
    for (int i = from; i < events.size(); i++) {
      PreparedEvent e = events.get(i);
      if (TopicSetup.ALERTS.equals(e.topic())) {
        alertCount++;
        if (alertEvents == null) {
          alertEvents = new ArrayList<>();
        }
        alertEvents.add(e);
        if (alertEvents.size() > MAX_ALERTS) {
          alertEvents.remove(0);
        }
      } else if (TopicSetup.DEADLETTER.equals(e.topic())) {
        deadLetters++;
      }
      if (((i - from) % stride == 0 || i == events.size() - 1) && sampleCount < samples.length) {
        long t = eventTime(e);
        if (t > 0) {
          long l = Math.max(0, now - t);
          samples[sampleCount++] = l;
          lag.record(l, TimeUnit.MILLISECONDS);
        }
      }
    }
    recordsCounter(TopicSetup.EVENTS).increment(written - alertCount - deadLetters);
    if (alertCount > 0) {
      recordsCounter(TopicSetup.ALERTS).increment(alertCount);
    }
    if (deadLetters > 0) {
      recordsCounter(TopicSetup.DEADLETTER).increment(deadLetters);
    }
    NodeState n = state(nodeId);
    synchronized (n) {
      n.lastBatchMs = now;
      n.written += written;
      n.alertsWritten += alertCount;
      n.deadLettersWritten += deadLetters;
      for (int i = 0; i < sampleCount; i++) {
        n.addLag(samples[i], now);
      }
    }
    if (alertEvents != null) {
      for (PreparedEvent e : alertEvents) {
        addAlert(alertView(nodeId, e, now));
      }
    }
  }

  private static long eventTime(PreparedEvent e) {
    for (Header h : e.headers()) {
      if (EventRecords.H_EVENT_TIME.equals(h.key())) {
        byte[] v = h.value();
        long x = 0;
        for (byte b : v) {
          if (b < '0' || b > '9') {
            return -1;
          }
          x = x * 10 + (b - '0');
        }
        return x;
      }
    }
    return -1;
  }

  /** The alert's rule, severity and trigger, from the record value (the edge's alert body in "payload"). */
  private static JsonObject alertView(String nodeId, PreparedEvent e, long now) {
    JsonObject out = new JsonObject().put("nodeId", nodeId).put("committedAt", Instant.ofEpochMilli(now).toString());
    try {
      JsonObject v = Buffer.buffer(e.value()).toJsonObject();
      JsonObject p = v.getValue("payload") instanceof JsonObject o ? o : new JsonObject();
      out.put("ruleId", p.getValue("ruleId") instanceof String s ? s : v.getString("topic"))
          .put("severity", p.getValue("severity") instanceof String s ? s : null)
          .put("source", p.getValue("source") instanceof String s ? s : v.getString("source"))
          .put("topic", p.getValue("topic") instanceof String s ? s : v.getString("topic"))
          .put("eventId", v.getString("eventId"))
          .put("eventTime", v.getValue("eventTime") instanceof Number t ? Instant.ofEpochMilli(t.longValue()).toString()
              : null);
    } catch (RuntimeException ex) {
      out.put("ruleId", e.topic()).put("error", "unreadable alert record");
    }
    return out;
  }

  private void addAlert(JsonObject a) {
    synchronized (alerts) {
      if (alerts.size() == MAX_ALERTS) {
        alerts.removeFirst();
      }
      alerts.addLast(a);
    }
  }

  // ------------------------------------------------------------------ periodic tick

  /**
   * Computes every node's written rate since the previous tick and appends one point to the fleet
   * history. Called every second by the dashboard.
   */
  public void tick() {
    long now = clock.getAsLong();
    double in = 0;
    double out = 0;
    double written = 0;
    int online = 0;
    Map<String, NodeActivity.Stats> seen = activity.snapshot();
    for (NodeState n : nodes.values()) {
      NodeActivity.Stats s = seen.get(n.id);
      synchronized (n) {
        long dt = now - n.prevTickMs;
        if (n.prevTickMs > 0 && dt > 0) {
          n.writtenPerSec = (n.written - n.prevWritten) * 1000.0 / dt;
        }
        n.prevTickMs = now;
        n.prevWritten = n.written;
        written += n.writtenPerSec;
        if (isOnline(n, s, now)) {
          online++;
          JsonObject rates = rates(n.heartbeat);
          in += rates.getDouble("inPerSec", 0.0);
          out += rates.getDouble("outPerSec", 0.0);
        }
      }
    }
    onlineCount = online;
    lastTickMs = now;
    JsonObject point = new JsonObject().put("t", now).put("inPerSec", round1(in)).put("outPerSec", round1(out))
        .put("writtenPerSec", round1(written));
    synchronized (history) {
      if (history.size() == HISTORY_POINTS) {
        history.removeFirst();
      }
      history.addLast(point);
    }
  }

  // ------------------------------------------------------------------ views

  /** The latest alerts, newest first (at most {@value #MAX_ALERTS}). */
  public JsonArray alerts(int max) {
    JsonArray out = new JsonArray();
    synchronized (alerts) {
      Iterator<JsonObject> it = alerts.descendingIterator();
      while (it.hasNext() && out.size() < max) {
        out.add(it.next().copy());
      }
    }
    return out;
  }

  /** One node's view, or null when unknown (neither seen since start nor in the watermarks). */
  public JsonObject node(String nodeId, Map<NodeWatermarks.Key, NodeWatermarks.Watermark> committed) {
    long now = clock.getAsLong();
    NodeState n = nodes.get(nodeId);
    Map<String, NodeActivity.Stats> seen = activity.snapshot();
    boolean inWatermarks = committed.keySet().stream().anyMatch(k -> k.nodeId().equals(nodeId));
    if (n == null && !seen.containsKey(nodeId) && !inWatermarks) {
      return null;
    }
    return nodeView(nodeId, n, seen.get(nodeId), committed, now);
  }

  /** Every node (seen since start, or with a committed watermark), sorted by id. */
  public JsonArray nodes(Map<NodeWatermarks.Key, NodeWatermarks.Watermark> committed) {
    long now = clock.getAsLong();
    Map<String, NodeActivity.Stats> seen = activity.snapshot();
    TreeMap<String, NodeState> ids = new TreeMap<>();
    nodes.forEach(ids::put);
    seen.keySet().forEach(id -> ids.putIfAbsent(id, null));
    committed.keySet().forEach(k -> ids.putIfAbsent(k.nodeId(), null));
    JsonArray out = new JsonArray();
    ids.forEach((id, n) -> out.add(nodeView(id, n, seen.get(id), committed, now)));
    return out;
  }

  /**
   * What the dashboard shows and {@code /api/stream} pushes: {@code {serverTime, fleet: {nodes,
   * online, offline, inPerSec, outPerSec, writtenPerSec, backlogEvents, deadLetters, alerts,
   * lagP95Ms, history: [{t, inPerSec, outPerSec, writtenPerSec}]}, nodes: [...], alerts: [...]}}.
   */
  public JsonObject snapshot(Map<NodeWatermarks.Key, NodeWatermarks.Watermark> committed, int maxAlerts) {
    JsonArray list = nodes(committed);
    JsonArray hist = new JsonArray();
    synchronized (history) {
      history.forEach(p -> hist.add(p.copy()));
    }
    return new JsonObject()
        .put("serverTime", clock.getAsLong())
        .put("fleet", fleet(list, hist))
        .put("nodes", list)
        .put("alerts", alerts(maxAlerts));
  }

  /** The fleet's totals over the node views {@code list} (see {@link #nodes}), with {@code hist}. */
  static JsonObject fleet(JsonArray list, JsonArray hist) {
    int online = 0;
    double in = 0;
    double out = 0;
    double written = 0;
    long backlog = 0;
    long deadLetters = 0;
    long alertTotal = 0;
    Long lagP95 = null;
    for (Object o : list) {
      JsonObject n = (JsonObject) o;
      if ("online".equals(n.getString("state"))) {
        online++;
        in += n.getDouble("eventsInPerSec", 0.0);
        out += n.getDouble("eventsOutPerSec", 0.0);
      }
      written += n.getDouble("writtenPerSec", 0.0);
      backlog += n.getJsonObject("backlog").getLong("events", 0L);
      deadLetters += n.getLong("deadLetters", 0L);
      alertTotal += n.getLong("alerts", 0L);
      Long p95 = n.getJsonObject("lagMs").getLong("p95");
      if (p95 != null && (lagP95 == null || p95 > lagP95)) {
        lagP95 = p95;
      }
    }
    return new JsonObject()
        .put("nodes", list.size())
        .put("online", online)
        .put("offline", list.size() - online)
        .put("inPerSec", round1(in))
        .put("outPerSec", round1(out))
        .put("writtenPerSec", round1(written))
        .put("backlogEvents", backlog)
        .put("deadLetters", deadLetters)
        .put("alerts", alertTotal)
        .put("lagP95Ms", lagP95)
        .put("history", hist);
  }

  private JsonObject nodeView(String id, NodeState n, NodeActivity.Stats s,
      Map<NodeWatermarks.Key, NodeWatermarks.Watermark> committed, long now) {
    JsonObject c = new JsonObject();
    for (Priority p : Priority.values()) {
      NodeWatermarks.Watermark w = committed.get(new NodeWatermarks.Key(id, p));
      c.put(p.label(), w == null ? 0 : w.committedClassSeq());
    }
    long activitySeen = s == null ? 0 : s.lastSeenMs();
    JsonObject v = new JsonObject().put("nodeId", id);
    if (n == null) {
      v.put("state", activitySeen > 0 && now - activitySeen <= OFFLINE_AFTER_INTERVALS * DEFAULT_HEARTBEAT_INTERVAL_MS
              ? "online" : "offline")
          .put("lastSeen", iso(activitySeen)).put("lastSeenAgoMs", activitySeen > 0 ? now - activitySeen : null)
          .put("lastHeartbeat", null).put("lastBatch", null)
          .put("version", null).put("configVersion", null).put("uptimeSeconds", null)
          .put("link", null).put("endpoint", null).put("problems", new JsonObject())
          .put("heartbeatIntervalMs", DEFAULT_HEARTBEAT_INTERVAL_MS)
          .put("clockOffsetMs", null)
          .put("backlog", new JsonObject().put("events", 0L).put("bytes", null).put("oldestAgeMs", null)
              .put("estimated", false))
          .put("eventsInPerSec", 0.0).put("eventsOutPerSec", 0.0).put("writtenPerSec", 0.0)
          .put("lagMs", new JsonObject().put("p50", null).put("p95", null).put("last", null).put("samples", 0))
          .put("deadLetters", 0L).put("ruleHits", 0L).put("alerts", 0L)
          .put("alertsWritten", 0L).put("deadLettersWritten", 0L).put("mqttConnections", null)
          .put("e2eMs", null);
    } else {
      synchronized (n) {
        long contact = Math.max(n.lastContactMs(), activitySeen);
        boolean online = now - contact <= OFFLINE_AFTER_INTERVALS * n.intervalMs;
        JsonObject hb = n.heartbeat == null ? new JsonObject() : n.heartbeat;
        JsonObject rates = rates(hb);
        JsonObject totals = hb.getValue("totals") instanceof JsonObject t ? t : new JsonObject();
        JsonObject link = hb.getValue("link") instanceof JsonObject l ? l : new JsonObject();
        JsonObject mqtt = hb.getValue("mqtt") instanceof JsonObject m ? m : new JsonObject();
        v.put("state", online ? "online" : "offline")
            .put("lastSeen", iso(contact)).put("lastSeenAgoMs", contact > 0 ? now - contact : null)
            .put("lastHeartbeat", iso(n.lastHeartbeatMs)).put("lastBatch", iso(n.lastBatchMs))
            .put("version", hb.getValue("version"))
            .put("configVersion", hb.getValue("configVersion"))
            .put("uptimeSeconds", hb.getValue("uptimeSeconds"))
            .put("link", online ? link.getValue("state") : "unreachable")
            .put("reportedLink", link.getValue("state"))
            .put("endpoint", link.getValue("endpoint"))
            .put("problems", problems(link))
            .put("heartbeatIntervalMs", n.intervalMs)
            .put("clockOffsetMs", n.hasClockOffset ? n.clockOffsetMs : null)
            .put("backlog", backlog(n, hb, rates, online, now))
            .put("eventsInPerSec", online ? rates.getDouble("inPerSec", 0.0) : 0.0)
            .put("eventsOutPerSec", online ? rates.getDouble("outPerSec", 0.0) : 0.0)
            .put("writtenPerSec", round1(n.writtenPerSec))
            .put("lagMs", n.lagView(now))
            .put("deadLetters", Math.max(longOf(totals, "deadLetters"), n.deadLettersWritten))
            .put("ruleHits", longOf(totals, "ruleHits"))
            .put("alerts", Math.max(longOf(totals, "alerts"), n.alertsWritten))
            .put("alertsWritten", n.alertsWritten)
            .put("deadLettersWritten", n.deadLettersWritten)
            .put("mqttConnections", mqtt.getValue("connections"))
            .put("e2eMs", hb.getValue("e2eMs"));
      }
    }
    return v.put("committed", c)
        .put("eventsWritten", s == null ? 0 : s.eventsWritten())
        .put("duplicates", s == null ? 0 : s.duplicates())
        .put("batches", s == null ? 0 : s.batches())
        .put("refused", s == null ? 0 : s.refused());
  }

  /**
   * The classes the node last reported as not flowing ({@code link.problems} of its heartbeat),
   * and {@code log} when its log takes no event (a full disk), each with its reason: known keys
   * only, each reason cut to {@value #MAX_PROBLEM_CHARS}.
   */
  private static JsonObject problems(JsonObject link) {
    JsonObject out = new JsonObject();
    if (link.getValue("problems") instanceof JsonObject reported) {
      for (String key : PROBLEM_KEYS) {
        if (reported.getValue(key) instanceof String why) {
          out.put(key, why.length() > MAX_PROBLEM_CHARS ? why.substring(0, MAX_PROBLEM_CHARS) + "…" : why);
        }
      }
    }
    return out;
  }

  /** Reported backlog; for an offline node extrapolated from its last input rate. */
  private static JsonObject backlog(NodeState n, JsonObject hb, JsonObject rates, boolean online, long now) {
    JsonObject b = hb.getValue("backlog") instanceof JsonObject x ? x : new JsonObject();
    long events = longOf(b, "events");
    Long bytes = b.getValue("bytes") instanceof Number x ? x.longValue() : null;
    Long oldest = b.getValue("oldestAgeMs") instanceof Number x ? x.longValue() : null;
    boolean estimated = false;
    long since = n.lastHeartbeatMs > 0 ? Math.max(0, now - n.lastHeartbeatMs) : 0;
    if (!online && n.lastHeartbeatMs > 0) {
      estimated = true;
      long added = (long) (rates.getDouble("inPerSec", 0.0) * since / 1000.0);
      if (bytes != null && events > 0) {
        bytes += added * (bytes / events);
      }
      events += added;
      if (oldest != null || events > 0) {
        oldest = (oldest == null ? 0 : oldest) + since;
      }
    }
    return new JsonObject().put("events", events).put("bytes", bytes).put("oldestAgeMs", oldest)
        .put("estimated", estimated).put("reportedEvents", longOf(b, "events"))
        .put("classes", b.getValue("classes"));
  }

  private static JsonObject rates(JsonObject hb) {
    return hb != null && hb.getValue("rates") instanceof JsonObject r ? r : new JsonObject();
  }

  /** Whether {@code nodeId} is online now (for tests and the API). */
  public boolean isOnline(String nodeId) {
    NodeState n = nodes.get(nodeId);
    if (n == null) {
      return false;
    }
    NodeActivity.Stats s = activity.snapshot().get(nodeId);
    synchronized (n) {
      return isOnline(n, s, clock.getAsLong());
    }
  }

  private static boolean isOnline(NodeState n, NodeActivity.Stats s, long now) {
    long contact = Math.max(n.lastContactMs(), s == null ? 0 : s.lastSeenMs());
    return contact > 0 && now - contact <= OFFLINE_AFTER_INTERVALS * n.intervalMs;
  }

  private NodeState state(String nodeId) {
    NodeState n = nodes.get(nodeId);
    if (n != null) {
      return n;
    }
    synchronized (nodes) {
      n = nodes.get(nodeId);
      if (n == null) {
        if (nodes.size() >= maxNodes) {
          evictLeastRecentlySeen();
        }
        n = new NodeState(nodeId);
        nodes.put(nodeId, n);
      }
      return n;
    }
  }

  private void evictLeastRecentlySeen() {
    String oldest = null;
    long oldestMs = Long.MAX_VALUE;
    for (NodeState n : nodes.values()) {
      long c;
      synchronized (n) {
        c = n.lastContactMs();
      }
      if (c < oldestMs) {
        oldestMs = c;
        oldest = n.id;
      }
    }
    if (oldest != null) {
      nodes.remove(oldest);
      evictions.increment();
      LOG.warn("fleet view full ({} nodes): forgot node {} (last seen {})", maxNodes, oldest, iso(oldestMs));
    }
  }

  private Counter heartbeatCounter(String result) {
    return heartbeats.computeIfAbsent(result, r -> Counter.builder("cloud_heartbeats").tag("result", r)
        .description("heartbeats received, by result (ok, forbidden, invalid, too_large)").register(registry));
  }

  private Counter recordsCounter(String topic) {
    return recordsWritten.computeIfAbsent(topic, t -> Counter.builder("cloud_records_written").tag("topic", t)
        .description("records written to Kafka, by topic (edge.events, edge.alerts, edge.deadletter)")
        .register(registry));
  }

  private static long longOf(JsonObject o, String key) {
    return o.getValue(key) instanceof Number x ? x.longValue() : 0L;
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String iso(long ms) {
    return ms <= 0 ? null : Instant.ofEpochMilli(ms).toString();
  }

  private static double round1(double x) {
    return Math.round(x * 10) / 10.0;
  }

  /** One node's mutable state; every field guarded by the instance. */
  private static final class NodeState {
    final String id;
    JsonObject heartbeat;
    long lastHeartbeatMs;
    long lastBatchMs;
    long intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    long clockOffsetMs;
    boolean hasClockOffset;
    long written;
    long alertsWritten;
    long deadLettersWritten;
    long prevWritten;
    long prevTickMs;
    double writtenPerSec;
    final long[] lagMs = new long[LAG_RING];
    final long[] lagAtMs = new long[LAG_RING];
    int lagCount;
    int lagNext;
    long lastLagMs = -1;

    NodeState(String id) {
      this.id = id;
    }

    long lastContactMs() {
      return Math.max(lastHeartbeatMs, lastBatchMs);
    }

    void addLag(long lag, long now) {
      lagMs[lagNext] = lag;
      lagAtMs[lagNext] = now;
      lagNext = (lagNext + 1) % LAG_RING;
      lagCount = Math.min(LAG_RING, lagCount + 1);
      lastLagMs = lag;
    }

    /** p50/p95 of the samples of the last minute (nearest rank), the last value, the sample count. */
    JsonObject lagView(long now) {
      long[] window = new long[lagCount];
      int k = 0;
      for (int i = 0; i < lagCount; i++) {
        if (now - lagAtMs[i] <= LAG_WINDOW_MS) {
          window[k++] = lagMs[i];
        }
      }
      JsonObject out = new JsonObject().put("last", lastLagMs < 0 ? null : lastLagMs).put("samples", k);
      if (k == 0) {
        return out.put("p50", null).put("p95", null);
      }
      long[] sorted = Arrays.copyOf(window, k);
      Arrays.sort(sorted);
      return out.put("p50", sorted[rank(0.50, k)]).put("p95", sorted[rank(0.95, k)]);
    }

    private static int rank(double q, int n) {
      return Math.min(n - 1, Math.max(0, (int) Math.ceil(q * n) - 1));
    }
  }
}
