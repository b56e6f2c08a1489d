package io.edgesync.cloud.dashboard;

import io.edgesync.cloud.kafka.KafkaEventWriter;
import io.edgesync.cloud.kafka.ShardedWriter;
import io.edgesync.config.HostPort;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The plain-HTTP operator side ({@code http.port}):
 * <ul>
 *   <li>{@code GET /}: the fleet dashboard, a static page (HTML, vanilla JS, CSS from
 *       {@code src/main/resources/dashboard/}) fed by {@code /api/stream};</li>
 *   <li>{@code GET /api/stream}: Server-Sent Events, one {@code snapshot} event (the
 *       {@link FleetRegistry#snapshot} JSON) every {@value #PUSH_INTERVAL_MS} ms; at most
 *       {@value #MAX_STREAMS} streams at once (503 beyond); a stream whose socket cannot keep up
 *       skips snapshots ({@code cloud_dashboard_sse_skipped_total});</li>
 *   <li>{@code GET /api/nodes}, {@code /api/nodes/{id}}, {@code /api/alerts}, {@code /api/fleet}: JSON;
 *       with {@code dashboard.peers}, joined with the other instances' views ({@link PeerDashboards});
 *       {@code /api/fleet?scope=local} is this instance's own view (what peers ask for);</li>
 *   <li>{@code GET /health}, {@code GET /metrics} (Prometheus text).</li>
 * </ul>
 * Handlers run on an event loop and only read in-memory state. A timer ticks the
 * {@link FleetRegistry} every {@value #PUSH_INTERVAL_MS} ms (rates, history) and pushes the
 * snapshot to the open streams.
 */
public final class DashboardServer {
  static final long PUSH_INTERVAL_MS = 1_000;
  static final int MAX_STREAMS = 100;
  static final int STREAM_ALERTS = 20;

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final ShardedWriter writer;
  private final FleetRegistry fleet;
  private final String kafkaDescription;
  /** The other instances' dashboards ({@code dashboard.peers}, maybe none). */
  private final PeerDashboards peers;
  private java.util.function.Supplier<java.util.List<io.vertx.core.json.JsonObject>> stuckPartitions = java.util.List::of;
  private final Set<HttpServerResponse> streams = ConcurrentHashMap.newKeySet();
  private final Counter skipped;
  private HttpServer server;
  private long timer = -1;

  /**
   * @param kafkaDescription shown on /health, e.g. {@code localhost:9092 (embedded)}
   * @param peers            the other instances' dashboards ({@code dashboard.peers}), maybe none
   */
  public DashboardServer(Vertx vertx, String host, int port, PrometheusMeterRegistry registry,
      ShardedWriter writer, FleetRegistry fleet, String kafkaDescription, List<HostPort> peers) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.writer = writer;
    this.fleet = fleet;
    this.kafkaDescription = kafkaDescription;
    this.peers = new PeerDashboards(vertx, peers, registry);
    Gauge.builder("cloud_dashboard_sse_clients", streams, Set::size)
        .description("open /api/stream connections").register(registry);
    skipped = Counter.builder("cloud_dashboard_sse_skipped")
        .description("snapshots not sent to a stream whose socket write queue was full").register(registry);
  }

  public Future<Void> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
    router.get("/api/nodes").handler(rc -> json(rc, 200, new JsonObject()
        .put("serverTime", System.currentTimeMillis())
        .put("nodes", nodes())));
    router.get("/api/nodes/:id").handler(rc -> {
      JsonObject n = node(rc.pathParam("id"));
      if (n == null) {
        json(rc, 404, new JsonObject().put("error", "NOT_FOUND").put("message", "no node " + rc.pathParam("id")));
      } else {
        json(rc, 200, n);
      }
    });
    router.get("/api/alerts").handler(rc -> json(rc, 200, new JsonObject()
        .put("alerts", peers.none() ? fleet.alerts(FleetRegistry.MAX_ALERTS)
            : PeerDashboards.mergeAlerts(fleet.alerts(FleetRegistry.MAX_ALERTS), peerAlerts(), FleetRegistry.MAX_ALERTS))));
    router.get("/api/fleet").handler(rc -> json(rc, 200,
        "local".equals(rc.request().getParam("scope")) ? localSnapshot() : snapshot()));
    router.get("/api/stream").handler(this::stream);
    router.get("/*").handler(StaticHandler.create("dashboard").setIndexPage("index.html")
        .setCachingEnabled(false).setDefaultContentEncoding("UTF-8"));
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(port, host).<Void>mapEmpty().onSuccess(v -> {
      fleet.tick();
      timer = vertx.setPeriodic(PUSH_INTERVAL_MS, id -> push());
    });
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** Idempotent. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    peers.close();
    streams.forEach(r -> r.end().onFailure(e -> { }));
    streams.clear();
    HttpServer s = server;
    server = null;
    return s == null ? Future.succeededFuture() : s.shutdown(1, TimeUnit.SECONDS);
  }

  private JsonObject localSnapshot() {
    return fleet.snapshot(writer.watermarkSnapshot(), STREAM_ALERTS);
  }

  /** This instance's view, joined with the peers' when there are any (with their state in {@code peers}). */
  private JsonObject snapshot() {
    JsonObject local = localSnapshot();
    if (peers.none()) {
      return local;
    }
    long now = System.currentTimeMillis();
    return PeerDashboards.merge(local, peers.live(now), STREAM_ALERTS).put("peers", peers.status(now));
  }

  private JsonArray nodes() {
    JsonArray local = fleet.nodes(writer.watermarkSnapshot());
    if (peers.none()) {
      return local;
    }
    List<JsonArray> others = new ArrayList<>();
    peers.live(System.currentTimeMillis()).forEach(p -> others.add(p.getJsonArray("nodes", new JsonArray())));
    return PeerDashboards.mergeNodes(local, others);
  }

  private JsonObject node(String id) {
    if (peers.none()) {
      return fleet.node(id, writer.watermarkSnapshot());
    }
    for (Object o : nodes()) {
      if (o instanceof JsonObject n && id.equals(n.getString("nodeId"))) {
        return n;
      }
    }
    return null;
  }

  private List<JsonArray> peerAlerts() {
    List<JsonArray> out = new ArrayList<>();
    peers.live(System.currentTimeMillis()).forEach(p -> out.add(p.getJsonArray("alerts", new JsonArray())));
    return out;
  }

  private void push() {
    fleet.tick();
    peers.refresh();
    if (streams.isEmpty()) {
      return;
    }
    String frame = "event: snapshot\ndata: " + snapshot().encode() + "\n\n";
    for (HttpServerResponse r : streams) {
      if (r.writeQueueFull()) {
        skipped.increment();
      } else {
        r.write(frame).onFailure(e -> streams.remove(r));
      }
    }
  }

  private void stream(RoutingContext rc) {
    HttpServerResponse r = rc.response();
    if (streams.size() >= MAX_STREAMS) {
      json(rc, 503, new JsonObject().put("error", "TOO_MANY_STREAMS")
          .put("message", "at most " + MAX_STREAMS + " dashboard streams at once"));
      return;
    }
    r.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    streams.add(r);
    r.closeHandler(v -> streams.remove(r));
    r.exceptionHandler(e -> streams.remove(r));
    // the first snapshot at once, so a page has data before the next tick
    r.write("retry: 2000\n\nevent: snapshot\ndata: " + snapshot().encode() + "\n\n");
  }

  /** Where {@code /health} reads the partitions held by a hanging transaction (StuckPartitionWatch). */
  public DashboardServer stuckPartitions(java.util.function.Supplier<java.util.List<io.vertx.core.json.JsonObject>> s) {
    this.stuckPartitions = s;
    return this;
  }

  private void health(RoutingContext rc) {
    KafkaEventWriter.State state = writer.state();
    boolean up = state == KafkaEventWriter.State.READY;
    json(rc, up ? 200 : 503, new JsonObject()
        .put("status", up ? "UP" : "DEGRADED")
        .put("kafka", new JsonObject()
            .put("state", state.name())
            .put("bootstrap", kafkaDescription)
            .put("queueDepth", writer.queueDepth())
            .put("shards", writer.shardCount())
            .put("ownedShards", new io.vertx.core.json.JsonArray(writer.ownedShards()))
            .put("stuckPartitions", new io.vertx.core.json.JsonArray(stuckPartitions.get()))));
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }
}
