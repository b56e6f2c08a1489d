package io.edgesync.cloud.dashboard;

import io.edgesync.cloud.ingest.NodeActivity;
import io.edgesync.cloud.kafka.KafkaEventWriter;
import io.edgesync.cloud.kafka.NodeWatermarks;
import io.edgesync.cloud.kafka.NodeWatermarks.Key;
import io.edgesync.model.Priority;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The plain-HTTP operator side: {@code GET /health}, {@code GET /metrics} (Prometheus text),
 * {@code GET /api/nodes} (JSON) and {@code GET /}, a minimal HTML page listing the nodes. The
 * full fleet dashboard is a later issue; this page says so. Handlers run on an event loop and
 * only read in-memory state.
 */
public final class DashboardServer {
  private final Vertx vertx;
  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final KafkaEventWriter writer;
  private final NodeActivity activity;
  private final String kafkaDescription;
  private HttpServer server;

  /**
   * @param kafkaDescription shown on /health, e.g. {@code localhost:9092 (embedded)}
   */
  public DashboardServer(Vertx vertx, String host, int port, PrometheusMeterRegistry registry,
      KafkaEventWriter writer, NodeActivity activity, String kafkaDescription) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.writer = writer;
    this.activity = activity;
    this.kafkaDescription = kafkaDescription;
  }

  public Future<Void> start() {
    Router router = Router.router(vertx);
    router.get("/health").handler(this::health);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
    router.get("/api/nodes").handler(rc -> json(rc, 200, new JsonObject().put("nodes", nodes())));
    router.get("/").handler(this::page);
    server = vertx.createHttpServer().requestHandler(router);
    return server.listen(port, host).mapEmpty();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** Idempotent. */
  public Future<Void> stop() {
    HttpServer s = server;
    server = null;
    return s == null ? Future.succeededFuture() : s.shutdown(1, TimeUnit.SECONDS);
  }

  private void health(RoutingContext rc) {
    KafkaEventWriter.State state = writer.state();
    boolean up = state == KafkaEventWriter.State.READY;
    json(rc, up ? 200 : 503, new JsonObject()
        .put("status", up ? "UP" : "DEGRADED")
        .put("kafka", new JsonObject()
            .put("state", state.name())
            .put("bootstrap", kafkaDescription)
            .put("queueDepth", writer.queueDepth())));
  }

  /** Every node with a watermark or seen since start, with committed class seqs and counters. */
  JsonArray nodes() {
    NodeWatermarks wm = writer.watermarks();
    Map<Key, NodeWatermarks.Watermark> all = wm.snapshot();
    Map<String, NodeActivity.Stats> seen = activity.snapshot();
    TreeSet<String> ids = new TreeSet<>(seen.keySet());
    all.keySet().forEach(k -> ids.add(k.nodeId()));
    JsonArray out = new JsonArray();
    for (String id : ids) {
      JsonObject committed = new JsonObject();
      for (Priority p : Priority.values()) {
        NodeWatermarks.Watermark w = all.get(new Key(id, p));
        committed.put(p.label(), w == null ? 0 : w.committedClassSeq());
      }
      NodeActivity.Stats s = seen.get(id);
      out.add(new JsonObject()
          .put("nodeId", id)
          .put("committed", committed)
          .put("lastSeen", s == null || s.lastSeenMs() == 0 ? null : Instant.ofEpochMilli(s.lastSeenMs()).toString())
          .put("eventsWritten", s == null ? 0 : s.eventsWritten())
          .put("duplicates", s == null ? 0 : s.duplicates())
          .put("batches", s == null ? 0 : s.batches())
          .put("refused", s == null ? 0 : s.refused()));
    }
    return out;
  }

  private void page(RoutingContext rc) {
    StringBuilder h = new StringBuilder(2048);
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">")
        .append("<title>edgesync cloud</title><style>body{font-family:sans-serif;margin:2em}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
        .append("td:first-child,th:first-child{text-align:left}</style></head><body>")
        .append("<h1>edgesync cloud-ingest</h1>")
        .append("<p>Minimal node list, refreshed every 5 s from <a href=\"/api/nodes\">/api/nodes</a>. ")
        .append("The full fleet dashboard is a later issue. Also: <a href=\"/health\">/health</a>, ")
        .append("<a href=\"/metrics\">/metrics</a>.</p>")
        .append("<p>Kafka: ").append(esc(kafkaDescription)).append(", writer ").append(writer.state().name())
        .append("</p><table><tr><th>node</th><th>critical</th><th>normal</th><th>bulk</th>")
        .append("<th>events written</th><th>duplicates</th><th>batches</th><th>refused</th><th>last seen</th></tr>");
    for (Object o : nodes()) {
      JsonObject n = (JsonObject) o;
      JsonObject c = n.getJsonObject("committed");
      h.append("<tr><td>").append(esc(n.getString("nodeId"))).append("</td>")
          .append("<td>").append(c.getLong("critical")).append("</td>")
          .append("<td>").append(c.getLong("normal")).append("</td>")
          .append("<td>").append(c.getLong("bulk")).append("</td>")
          .append("<td>").append(n.getLong("eventsWritten")).append("</td>")
          .append("<td>").append(n.getLong("duplicates")).append("</td>")
          .append("<td>").append(n.getLong("batches")).append("</td>")
          .append("<td>").append(n.getLong("refused")).append("</td>")
          .append("<td>").append(esc(n.getString("lastSeen") == null ? "-" : n.getString("lastSeen")))
          .append("</td></tr>");
    }
    h.append("</table></body></html>");
    rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8").end(h.toString());
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }
}
