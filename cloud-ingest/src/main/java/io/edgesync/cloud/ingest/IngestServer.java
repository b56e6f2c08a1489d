package io.edgesync.cloud.ingest;

import io.edgesync.cloud.ingest.IngestMetrics.Result;
import io.edgesync.cloud.kafka.ShardedWriter;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.WriteOutcome;
import io.edgesync.model.Identities;
import io.edgesync.model.Priority;
import io.edgesync.tls.RevocationList;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileProps;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge-facing endpoint: HTTPS with HTTP/2 (ALPN h2, HTTP/1.1 also accepted), mutual TLS with
 * the OpenSSL engine, TLS 1.2+. The node's identity is the CN of its client certificate.
 *
 * <ul>
 *   <li>{@code POST /v1/batches}: a batch frame (docs/PROTOCOL.md). The reply is sent only after
 *       the {@link KafkaEventWriter} committed the batch's transaction, or found it duplicate.</li>
 *   <li>{@code GET /v1/watermarks}: this node's committed class watermarks.</li>
 * </ul>
 * When {@code tls.crl} is set, the CRL file is polled and re-applied with
 * {@link HttpServer#updateSSLOptions} when it changes, so a revoked node is refused at its next
 * handshake; and every request is checked against it, so a connection opened before the
 * revocation gets 403 {@code REVOKED} at its next request and is then closed.
 *
 * <p>Threads: request handling runs on event loops; frames above {@value #INLINE_DECODE_MAX_BYTES}
 * bytes are decoded on a named worker pool.
 */
public final class IngestServer {
  static final int INLINE_DECODE_MAX_BYTES = 64 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);
  private static final String JSON_TYPE = "application/json";
  private static final long HTTP2_CANCEL = 0x8;
  private static final long HANDSHAKE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Vertx vertx;
  private final IngestOptions options;
  private final ShardedWriter writer;
  private final NodeActivity activity;
  private final IngestMetrics metrics;
  private final AtomicLong inflightBytes = new AtomicLong();
  private HttpServer server;
  private WorkerExecutor decodePool;
  private long crlTimer = -1;
  private volatile long lastHandshakeLogNanos = System.nanoTime() - HANDSHAKE_LOG_INTERVAL_NANOS;
  private String crlStamp;
  /** The CAs of {@code tls.ca} as read at start: they sign the CRL. */
  private List<X509Certificate> crlIssuers = List.of();
  /** The revoked certificates in force (tls.crl), or null without one. */
  private volatile RevocationList revocations;
  /** The fleet view (dashboard): heartbeats and committed batches; null = none. */
  private volatile io.edgesync.cloud.dashboard.FleetHooks fleet;
  /** The admission hint of batch replies; null = none. */
  private volatile Admission admission;
  /** Rollouts (operator API, config pull); null = none. */
  private volatile io.edgesync.cloud.rollout.RolloutService rollouts;

  public IngestServer(Vertx vertx, IngestOptions options, ShardedWriter writer, NodeActivity activity,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.options = options;
    this.writer = writer;
    this.activity = activity;
    this.metrics = new IngestMetrics(registry);
  }

  /** Serves the operator rollout API and {@code GET /v1/config} with {@code service}. */
  public IngestServer rollouts(io.edgesync.cloud.rollout.RolloutService service) {
    this.rollouts = service;
    return this;
  }

  /** Serves {@code POST /v1/heartbeat} with, and reports committed batches to, {@code hooks}. */
  public IngestServer fleetHooks(io.edgesync.cloud.dashboard.FleetHooks hooks) {
    this.fleet = hooks;
    return this;
  }

  /** Adds {@code admission}'s hint to every 200 and 503 batch reply (docs/PROTOCOL.md). */
  public IngestServer admission(Admission admission) {
    this.admission = admission;
    return this;
  }

  /** Binds the endpoint; fails when the port is taken or the TLS material is unusable. */
  public Future<Void> start() {
    decodePool = vertx.createSharedWorkerExecutor("cloud-ingest-decode",
        Math.max(2, Runtime.getRuntime().availableProcessors()));
    HttpServerOptions o = new HttpServerOptions()
        .setHost(options.host())
        .setPort(options.port())
        .setSsl(true)
        .setUseAlpn(true)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(options.cert().toString())
            .setKeyPath(options.key().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(options.ca().toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(128).setInitialWindowSize(1 << 20))
        .setHttp2ConnectionWindowSize(16 << 20);
    if (options.crl() != null) {
      o.addCrlPath(options.crl().toString());
    }
    server = vertx.createHttpServer(o).requestHandler(this::handle).exceptionHandler(this::connectionFailed);
    return server.listen().compose(s -> {
      if (options.crl() != null) {
        return crlProps().compose(p -> {
          crlStamp = stamp(p);
          return vertx.executeBlocking(() -> {
            crlIssuers = RevocationList.readCas(options.ca());
            return RevocationList.load(options.crl(), crlIssuers, "tls.ca");
          });
        }).map(loaded -> {
          revocations = loaded;
          crlTimer = vertx.setPeriodic(options.crlPollMs(), id -> checkCrl());
          return (Void) null;
        });
      }
      return Future.<Void>succeededFuture();
    }).onSuccess(v -> LOG.info("ingest endpoint listening on https://{}:{}", options.host(), actualPort()));
  }

  /** The bound port (the configured one, or the one picked for port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  /**
   * Stops accepting connections and lets in-flight requests finish (up to {@code graceMs}).
   * Idempotent.
   */
  public Future<Void> stop(long graceMs) {
    if (crlTimer >= 0) {
      vertx.cancelTimer(crlTimer);
      crlTimer = -1;
    }
    HttpServer s = server;
    server = null;
    Future<Void> closed = s == null ? Future.succeededFuture() : s.shutdown(graceMs, TimeUnit.MILLISECONDS);
    // the decode pool serves in-flight requests until the server has drained them
    return closed.eventually(() -> {
      WorkerExecutor pool = decodePool;
      decodePool = null;
      return pool == null ? Future.succeededFuture() : pool.close();
    });
  }

  // ---------------------------------------------------------------- routing

  private void handle(HttpServerRequest req) {
    RevocationList revoked = revocations;
    if (revoked != null && revoked.revokedCount() > 0) {
      X509Certificate peer = peerCertificate(req);
      if (peer != null && revoked.revoked(peer)) {
        refuseRevoked(req, peer);
        return;
      }
    }
    String path = req.path();
    String cn = peerNodeId(req);
    if (path.equals("/v1/rollouts") || path.startsWith("/v1/rollouts/")) {
      if (rollouts == null) {
        error(req, 404, "NOT_FOUND", "no such endpoint " + path);
      } else if (!Identities.isOperator(cn)) {
        metrics.forbidden("NOT_OPERATOR");
        LOG.info("[node-id: {}] refused {} {}: not an operator certificate", cn, req.method(), path);
        error(req, 403, "NOT_OPERATOR", "rollouts need an operator certificate (CN operator:NAME); got CN " + cn);
      } else {
        rollouts.handleOperator(req, cn);
      }
      return;
    }
    if (Identities.isOperator(cn)) {
      metrics.forbidden("OPERATOR_AS_NODE");
      error(req, 403, "OPERATOR_AS_NODE", "an operator certificate cannot act as a node");
      return;
    }
    if ("/v1/config".equals(path) && req.method() == HttpMethod.GET && rollouts != null) {
      if (cn == null) {
        error(req, 403, "NODE_MISMATCH", "the client certificate has no CN");
      } else {
        activity.seen(cn);
        rollouts.getConfig(req, cn);
      }
      return;
    }
    if ("/v1/batches".equals(path)) {
      if (req.method() == HttpMethod.POST) {
        postBatch(req);
      } else {
        error(req, 405, "METHOD_NOT_ALLOWED", "use POST");
      }
    } else if ("/v1/watermarks".equals(path) && req.method() == HttpMethod.GET) {
      getWatermarks(req);
    } else if ("/v1/heartbeat".equals(path) && req.method() == HttpMethod.POST && fleet != null) {
      fleet.heartbeat(req, peerNodeId(req));
    } else {
      error(req, 404, "NOT_FOUND", "no such endpoint " + path);
    }
  }

  private void getWatermarks(HttpServerRequest req) {
    String node = peerNodeId(req);
    if (node == null) {
      error(req, 403, "NODE_MISMATCH", "the client certificate has no CN");
      return;
    }
    activity.seen(node);
    Map<Priority, Long> w = writer.watermarksOf(node);
    if (w == null) {
      error(req, 421, "NOT_OWNER", "node " + node + " is served by another cloud-ingest instance; try the next endpoint");
      return;
    }
    JsonObject body = new JsonObject().put("nodeId", node);
    for (Priority p : Priority.values()) {
      body.put(p.label(), w.get(p));
    }
    reply(req, 200, body);
  }

  // ---------------------------------------------------------------- POST /v1/batches

  private void postBatch(HttpServerRequest req) {
    String node = peerNodeId(req);
    if (node == null) {
      refuse(req, null, new IngestError(403, "NODE_MISMATCH", "the client certificate has no CN"));
      return;
    }
    activity.seen(node);
    long declared = contentLength(req);
    if (declared > options.maxBatchBytes()) {
      refuseAndStopReading(req, node, tooLarge(declared));
      return;
    }
    if ("100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
      req.response().writeContinue();
    }
    long[] held = {0};
    readBody(req, declared, held)
        .compose(body -> decode(body, node))
        .compose(batch -> writer.submit(batch).map(outcome -> new Answer(batch, outcome)))
        .onComplete(ar -> {
          inflightBytes.addAndGet(-held[0]);
          if (ar.succeeded()) {
            metrics.frameBytes.record(held[0]);
            answer(req, node, ar.result().batch(), ar.result().outcome());
          } else if (ar.cause() instanceof IngestError e) {
            if (!req.isEnded()) {
              refuseAndStopReading(req, node, e);
            } else {
              refuse(req, node, e);
            }
          } else {
            metrics.batch(Result.ERROR);
            activity.refused(node);
            LOG.error("[node-id: {}] batch failed unexpectedly", node, ar.cause());
            error(req, 500, "INTERNAL", "internal error: " + ar.cause());
          }
        });
  }

  /** Reads the body, bounded by maxBatchBytes and by the in-flight bytes of all requests. */
  private Future<Buffer> readBody(HttpServerRequest req, long declared, long[] held) {
    Promise<Buffer> done = Promise.promise();
    Buffer body = Buffer.buffer(declared > 0 ? (int) declared : 16 * 1024);
    req.handler(chunk -> {
      if (done.future().isComplete()) {
        return;
      }
      int n = chunk.length();
      if (body.length() + n > options.maxBatchBytes()) {
        done.tryFail(tooLarge(body.length() + n));
        return;
      }
      held[0] += n;
      if (inflightBytes.addAndGet(n) > options.maxInflightBytes()) {
        done.tryFail(new IngestError(503, "KAFKA_UNAVAILABLE", "ingest busy: too many bytes in flight"));
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> done.tryComplete(body));
    req.exceptionHandler(done::tryFail);
    return done.future();
  }

  private Future<PreparedBatch> decode(Buffer body, String node) {
    byte[] frame = body.getBytes();
    if (frame.length <= INLINE_DECODE_MAX_BYTES) {
      try {
        return Future.succeededFuture(BatchDecoder.decode(frame, node, options.maxBatchBytes()));
      } catch (IngestError e) {
        return Future.failedFuture(e);
      }
    }
    return decodePool.executeBlocking(() -> BatchDecoder.decode(frame, node, options.maxBatchBytes()), false);
  }

  private record Answer(PreparedBatch batch, WriteOutcome outcome) {}

  private void answer(HttpServerRequest req, String node, PreparedBatch batch, WriteOutcome o) {
    switch (o.kind()) {
      case COMMITTED -> {
        metrics.batch(o.written() > 0 ? Result.OK : Result.DUPLICATE);
        activity.acknowledged(node, o.written(), o.duplicates());
        if (fleet != null && o.written() > 0) {
          fleet.batchCommitted(node, batch, o);
        }
        reply(req, 200, withAdmission(node, new JsonObject()
            .put("nodeId", node)
            .put("priority", batch.priority().label())
            .put("committedClassSeq", o.committedClassSeq())
            .put("written", o.written())
            .put("duplicates", o.duplicates())));
      }
      case GAP -> {
        metrics.batch(Result.GAP);
        activity.refused(node);
        LOG.debug("[node-id: {}] gap: {}", node, o.message());
        reply(req, 409, new JsonObject()
            .put("error", "SEQUENCE_GAP")
            .put("message", o.message())
            .put("committedClassSeq", o.committedClassSeq()));
      }
      case LOG_EPOCH_MISMATCH -> {
        metrics.batch(Result.LOG_EPOCH);
        activity.refused(node);
        reply(req, 409, new JsonObject()
            .put("error", "LOG_EPOCH_MISMATCH")
            .put("message", o.message())
            .put("committedClassSeq", o.committedClassSeq()));
      }
      case NOT_OWNER -> {
        metrics.batch(Result.NOT_OWNER);
        LOG.debug("[node-id: {}] not owner: {}", node, o.message());
        error(req, 421, "NOT_OWNER", o.message());
      }
      case UNAVAILABLE -> {
        metrics.batch(Result.ERROR);
        activity.refused(node);
        reply(req, 503, withAdmission(node, new JsonObject().put("error", "KAFKA_UNAVAILABLE").put("message", o.message())));
      }
      default -> throw new IllegalStateException(o.kind().name());
    }
  }

  private void refuse(HttpServerRequest req, String node, IngestError e) {
    if (e.status() == 503) {
      metrics.batch(Result.ERROR);
    } else {
      metrics.batch(Result.REJECTED);
      metrics.rejected(e.code());
    }
    if (node != null) {
      activity.refused(node);
    }
    LOG.info("[node-id: {}] batch refused: {} {} {}", node, e.status(), e.code(), e.getMessage());
    error(req, e.status(), e.code(), e.getMessage());
  }

  /** Refuses, then stops the rest of the body: RST_STREAM on HTTP/2, connection close on HTTP/1.x. */
  private void refuseAndStopReading(HttpServerRequest req, String node, IngestError e) {
    req.handler(null);
    req.endHandler(null);
    boolean h2 = req.version() == HttpVersion.HTTP_2;
    if (!h2) {
      req.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    refuse(req, node, e);
    if (h2) {
      req.response().reset(HTTP2_CANCEL);
    } else {
      req.connection().close();
    }
  }

  private IngestError tooLarge(long bytes) {
    return new IngestError(413, "TOO_LARGE", "body of " + bytes + " bytes exceeds ingest.maxBatchBytes ("
        + options.maxBatchBytes() + ")");
  }

  /** Socket errors before a connection is established: mostly refused TLS handshakes. */
  private void connectionFailed(Throwable t) {
    SSLException tls = null;
    for (Throwable c = t; c != null && tls == null; c = c.getCause()) {
      tls = c instanceof SSLException s ? s : null;
    }
    if (tls == null) {
      LOG.debug("connection failed before HTTP: {}", t.toString());
      return;
    }
    metrics.tlsHandshakeFailures.increment();
    long now = System.nanoTime();
    if (now - lastHandshakeLogNanos > HANDSHAKE_LOG_INTERVAL_NANOS) {
      // at most one line per interval: a scanner must not flood the log
      lastHandshakeLogNanos = now;
      LOG.info("TLS handshake refused (unknown CA, revoked or missing client certificate; "
          + "cloud_tls_handshake_failures_total counts them all): {}", tls.toString());
    }
  }

  // ---------------------------------------------------------------- CRL reload

  private Future<FileProps> crlProps() {
    return vertx.fileSystem().props(options.crl().toString());
  }

  private static String stamp(FileProps p) {
    return p.lastModifiedTime() + "/" + p.size();
  }

  private void checkCrl() {
    crlProps().onSuccess(p -> {
      String s = stamp(p);
      HttpServer srv = server;
      if (s.equals(crlStamp) || srv == null) {
        return;
      }
      crlStamp = s;
      vertx.executeBlocking(() -> RevocationList.load(options.crl(), crlIssuers, "tls.ca")).onComplete(loaded -> {
        if (loaded.failed()) {
          LOG.warn("CRL {} changed but {}; the previous one stays ({} revoked)", options.crl(),
              loaded.cause().getMessage(), revocations.revokedCount());
          return;
        }
        // requests first: from here on a revoked node's open connection is refused at its next request
        revocations = loaded.result();
        srv.updateSSLOptions(sslOptions(), true).onComplete(ar -> {
          if (ar.succeeded()) {
            metrics.crlReloads.increment();
            LOG.info("CRL {} changed: reloaded, {} revoked certificates; refused at the handshake and at the next "
                + "request of a connection already open", options.crl(), loaded.result().revokedCount());
          } else {
            LOG.warn("CRL {} changed and is checked at every request, but the TLS layer could not apply it: {}",
                options.crl(), ar.cause().toString());
          }
        });
      });
    }).onFailure(e -> LOG.warn("CRL {} cannot be read: {}", options.crl(), e.toString()));
  }

  private ServerSSLOptions sslOptions() {
    ServerSSLOptions ssl = new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(options.cert().toString())
            .setKeyPath(options.key().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(options.ca().toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
        .setUseAlpn(true)
        .setApplicationLayerProtocols(List.of("h2", "http/1.1"));
    ssl.addCrlPath(options.crl().toString());
    return ssl;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A certificate revoked after its connection was opened: 403 {@code REVOKED}, then the
   * connection is shut down (its other requests finish or are refused the same way), so the node's
   * next attempt is a new handshake, which the TLS layer refuses. The edge keeps the batch.
   */
  private void refuseRevoked(HttpServerRequest req, X509Certificate peer) {
    metrics.forbidden("REVOKED");
    String serial = peer.getSerialNumber().toString(16);
    String cn = Identities.commonName(peer);
    LOG.info("[node-id: {}] refused {} {}: certificate serial {} is revoked by tls.crl; closing its connection",
        cn, req.method(), req.path(), serial);
    req.handler(null);
    req.endHandler(null);
    req.response()
        .setStatusCode(403)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
        .end(new JsonObject().put("error", "REVOKED")
            .put("message", "the client certificate (serial " + serial + ", CN " + cn + ") is revoked").toBuffer())
        .onComplete(ar -> req.connection().shutdown(1, TimeUnit.SECONDS));
  }

  /** The verified client certificate, or null. */
  static X509Certificate peerCertificate(HttpServerRequest req) {
    try {
      List<Certificate> chain = req.connection().peerCertificates();
      return chain == null || chain.isEmpty() || !(chain.get(0) instanceof X509Certificate cert) ? null : cert;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The CN of the verified client certificate, or null. */
  static String peerNodeId(HttpServerRequest req) {
    X509Certificate cert = peerCertificate(req);
    return cert == null ? null : Identities.commonName(cert);
  }

  private static long contentLength(HttpServerRequest req) {
    String v = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private JsonObject withAdmission(String node, JsonObject body) {
    Admission a = admission;
    return a == null ? body : body.put("admission", a.hint(node));
  }

  private static void error(HttpServerRequest req, int status, String code, String message) {
    reply(req, status, new JsonObject().put("error", code).put("message", message));
  }

  private static void reply(HttpServerRequest req, int status, JsonObject body) {
    if (req.response().ended() || req.response().closed()) {
      return;
    }
    req.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE)
        .end(body.toBuffer())
        .onFailure(e -> LOG.debug("reply {} not delivered: {}", status, e.toString()));
  }
}
