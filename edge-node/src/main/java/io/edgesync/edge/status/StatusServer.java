package io.edgesync.edge.status;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's status HTTP server ({@code http.port}):
 * <ul>
 *   <li>{@code GET /health}: 200 {@code {"status":"UP"}} while the node is healthy (the log
 *       is open and its last group commit succeeded), else 503 {@code {"status":"DOWN"}};</li>
 *   <li>{@code GET /metrics}: Prometheus text format (edge metrics and Vert.x' own
 *       {@code vertx_*} metrics, one registry);</li>
 *   <li>{@code GET /status}: JSON from {@link NodeStatus}.</li>
 * </ul>
 * Handlers run on one event loop and never block (the scrape and the JSON are built in
 * memory).
 */
public final class StatusServer {
  private static final Logger LOG = LoggerFactory.getLogger(StatusServer.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier healthy;
  private final Supplier<JsonObject> status;
  private final java.util.Map<String, io.vertx.core.Handler<HttpServerRequest>> routes =
      new java.util.concurrent.ConcurrentHashMap<>();
  private HttpServer server;
  private Future<Void> stopped;

  /**
   * @param healthy whether /health answers UP; called on the event loop, must not block
   * @param status  the /status document; called on the event loop, must not block
   */
  public StatusServer(Vertx vertx, String host, int port, PrometheusMeterRegistry registry, BooleanSupplier healthy,
      Supplier<JsonObject> status) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.healthy = healthy;
    this.status = status;
  }

  /** Binds {@code http.port}; fails with a message naming the key. */
  public Future<Void> start() {
    return vertx.createHttpServer()
        .requestHandler(this::handle)
        .listen(port, host)
        .map(s -> {
          server = s;
          LOG.info("status HTTP listening on {}:{}", host, s.actualPort());
          return (Void) null;
        })
        .recover(t -> Future.failedFuture(new IllegalStateException(
            "cannot listen on http.port " + port + " (" + host + "): " + t.getMessage(), t)));
  }

  /**
   * Serves {@code path} (any method) with {@code handler}, on the event loop; the handler
   * must not block and answers itself (e.g. the rules' {@code /admin/deadletters}). Call
   * before {@link #start()}.
   */
  public StatusServer route(String path, io.vertx.core.Handler<HttpServerRequest> handler) {
    routes.put(path, handler);
    return this;
  }

  /** The bound port (the ephemeral one when configured 0). */
  public int actualPort() {
    return server == null ? 0 : server.actualPort();
  }

  /** Closes the server; idempotent. */
  public synchronized Future<Void> stop() {
    if (stopped == null) {
      stopped = server == null ? Future.succeededFuture() : server.close();
    }
    return stopped;
  }

  private void handle(HttpServerRequest req) {
    io.vertx.core.Handler<HttpServerRequest> route = routes.get(req.path());
    if (route != null) {
      route.handle(req);
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      req.response().setStatusCode(405).putHeader("Allow", "GET").end();
      return;
    }
    try {
      switch (req.path()) {
        case "/health" -> {
          boolean up = healthy.getAsBoolean();
          json(req, up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN"));
        }
        case "/metrics" -> req.response().putHeader("Content-Type", PROMETHEUS_TEXT).end(registry.scrape());
        case "/status" -> json(req, 200, status.get());
        default -> json(req, 404, new JsonObject().put("error", "NOT_FOUND").put("path", req.path()));
      }
    } catch (RuntimeException e) {
      LOG.warn("status request {} failed: {}", req.path(), e.toString());
      json(req, 500, new JsonObject().put("error", "INTERNAL").put("message", String.valueOf(e.getMessage())));
    }
  }

  private static void json(HttpServerRequest req, int code, JsonObject body) {
    req.response().setStatusCode(code).putHeader("Content-Type", "application/json")
        .end(body.encodePrettily());
  }
}
