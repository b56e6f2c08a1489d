package io.edgesync.edge.forward;

import io.edgesync.edge.testsupport.TestCerts;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.BatchFormatException;
import io.edgesync.wire.EventBatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real cloud-ingest stand-in for the forwarder tests: an HTTP/2 server with mutual TLS on
 * the OpenSSL engine that decodes frames with {@link BatchCodec}, checks the node id
 * against the client certificate CN, keeps a per-class watermark like the real service
 * (a batch at or below it is acknowledged without writing, one above {@code watermark + 1}
 * gets 409) and answers per docs/PROTOCOL.md. Knobs inject 503s, 400s, 413s, delays, lost
 * answers and out-of-order processing.
 *
 * <p>Requests are processed in arrival order (HEADERS order on the connection), like one
 * ingest instance handling one node; {@link #swapFirstTwo} processes the second request
 * before the first. Server state is confined to the server's event loop; what tests read is
 * concurrent or atomic.
 */
final class CloudStub {
  /** One processed request: arrival index (0-based), batch range, answer status, events newly written. */
  record Arrival(int index, Priority priority, long first, long last, int status, int written) {}

  private final Vertx vertx;
  private final TestCerts.Leaf cert;
  private final Path clientCa;
  private HttpServer server;

  // knobs, set before traffic starts
  /** Answer 503 KAFKA_UNAVAILABLE to the first N requests (without writing). */
  volatile int fail503First;
  /** Answer every request 421 NOT_OWNER (another instance owns the node's shard). */
  volatile boolean notOwner;
  /** When set, every reply carries it as {@code "admission"} (the cloud's admission hint). */
  volatile JsonObject admission;
  /** Answer 400 CRC_MISMATCH to the request with this arrival index. */
  volatile int reject400At = -1;
  /** Answer 413 TOO_LARGE to frames above this size. */
  volatile int maxFrameBytes = Integer.MAX_VALUE;
  /** Delay every answer by this much (ms). */
  volatile long replyDelayMs;
  /** Process the second request before the first. */
  volatile boolean swapFirstTwo;
  /** Never answer the requests with these arrival indexes (the client must time out). */
  volatile Set<Integer> neverAnswer = Set.of();

  // confined to the server's event loop
  private int arrivals;
  private int nextPosition;
  private final TreeMap<Integer, Runnable> ready = new TreeMap<>();
  private final Map<Priority, Long> watermark = new EnumMap<>(Priority.class);

  // read by tests
  final List<Arrival> processed = Collections.synchronizedList(new ArrayList<>());
  final Map<Priority, List<Long>> delivered = new ConcurrentHashMap<>();
  final Set<Long> deliveredSeqs = ConcurrentHashMap.newKeySet();
  final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger outstanding = new AtomicInteger();
  final AtomicInteger maxOutstanding = new AtomicInteger();
  /** Requests outstanding at each arrival (this one included), in arrival order. */
  final List<Integer> outstandingAtArrival = java.util.Collections.synchronizedList(new ArrayList<>());
  /** Arrival times (System.nanoTime) of the requests. */
  final List<Long> arrivalNanos = java.util.Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger connections = new AtomicInteger();
  final AtomicLong duplicates = new AtomicLong();
  /** Batches that came with the SKIP flag (their first classSeq may jump the watermark). */
  final AtomicInteger skips = new AtomicInteger();
  final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

  CloudStub(Vertx vertx, TestCerts.Leaf cert, Path clientCa) {
    this.vertx = vertx;
    this.cert = cert;
    this.clientCa = clientCa;
    for (Priority p : Priority.values()) {
      watermark.put(p, 0L);
      delivered.put(p, Collections.synchronizedList(new ArrayList<>()));
    }
  }

  /** Listens on 127.0.0.1:{@code port} (0 = any free port); returns the bound port. */
  Future<Integer> listen(int port) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost("127.0.0.1")
        .setPort(port)
        .setSsl(true)
        .setUseAlpn(true)
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.certPath().toString()).setKeyPath(cert.keyPath().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(clientCa.toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .setInitialSettings(new Http2Settings().setInitialWindowSize(1 << 20).setMaxConcurrentStreams(100))
        .setHttp2ConnectionWindowSize(8 << 20);
    server = vertx.createHttpServer(options)
        .connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(this::onRequest);
    return server.listen().map(HttpServer::actualPort);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  long watermark(Priority p) {
    synchronized (watermark) {
      return watermark.get(p);
    }
  }

  /** Per class, the log epoch its watermark counts (as cloud-ingest keeps it); absent = not known. */
  final Map<Priority, Long> epochs = new ConcurrentHashMap<>();
  /** Every log epoch frames came with (0: none). */
  final java.util.Set<Long> epochsSeen = ConcurrentHashMap.newKeySet();

  /** What an operator's removal of the node's watermarks in the cloud does: the class starts afresh. */
  void forget(Priority p) {
    synchronized (watermark) {
      watermark.put(p, 0L);
      epochs.remove(p);
    }
  }

  /** A watermark left by an earlier life of the node (its log since wiped). */
  void presetWatermark(Priority p, long committed) {
    synchronized (watermark) {
      watermark.put(p, committed);
    }
  }

  int status(int code) {
    AtomicInteger n = statuses.get(code);
    return n == null ? 0 : n.get();
  }

  long deliveredCount() {
    return delivered.values().stream().mapToLong(List::size).sum();
  }

  private void onRequest(HttpServerRequest req) {
    int index = arrivals++;
    requests.incrementAndGet();
    int now = outstanding.incrementAndGet();
    maxOutstanding.accumulateAndGet(now, Math::max);
    outstandingAtArrival.add(now);
    arrivalNanos.add(System.nanoTime());
    boolean[] finished = {false};
    req.response().closeHandler(v -> finish(finished));
    if (req.version() != HttpVersion.HTTP_2) {
      problems.add("request " + index + " over " + req.version());
    }
    if (req.method() != HttpMethod.POST || !BatchForwarder.PATH.equals(req.path())
        || !BatchCodec.CONTENT_TYPE.equals(req.getHeader(HttpHeaders.CONTENT_TYPE))) {
      problems.add("request " + index + ": " + req.method() + " " + req.path() + " " + req.getHeader(HttpHeaders.CONTENT_TYPE));
    }
    String cn = peerCn(req);
    int position = swapFirstTwo && index < 2 ? 1 - index : index;
    req.body().onComplete(ar -> {
      ready.put(position, () -> {
        if (ar.failed()) {
          return; // stream reset by the client
        }
        if (neverAnswer.contains(index)) {
          return;
        }
        process(req, index, cn, ar.result(), finished);
      });
      while (ready.containsKey(nextPosition)) {
        ready.remove(nextPosition++).run();
      }
    });
  }

  private void process(HttpServerRequest req, int index, String cn, Buffer body, boolean[] finished) {
    if (notOwner) {
      reply(req, 421, new JsonObject().put("error", "NOT_OWNER").put("message", "injected"), finished);
      return;
    }
    if (index < fail503First) {
      reply(req, 503, new JsonObject().put("error", "KAFKA_UNAVAILABLE").put("message", "injected"), finished);
      return;
    }
    if (index == reject400At) {
      reply(req, 400, new JsonObject().put("error", "CRC_MISMATCH").put("message", "injected"), finished);
      return;
    }
    if (body.length() > maxFrameBytes) {
      reply(req, 413, new JsonObject().put("error", "TOO_LARGE").put("message", body.length() + " > " + maxFrameBytes),
          finished);
      return;
    }
    EventBatch batch;
    try {
      batch = BatchCodec.decode(body.getBytes(), 64 << 20);
    } catch (BatchFormatException e) {
      problems.add("request " + index + ": " + e.reason() + " " + e.getMessage());
      reply(req, 400, new JsonObject().put("error", e.reason().name()).put("message", e.getMessage()), finished);
      return;
    }
    if (!batch.nodeId().equals(cn)) {
      reply(req, 403, new JsonObject().put("error", "NODE_MISMATCH").put("message", batch.nodeId() + " != " + cn),
          finished);
      return;
    }
    Priority p = batch.priority();
    long wm = watermark(p);
    epochsSeen.add(batch.logEpoch());
    Long known = epochs.get(p);
    if (batch.logEpoch() != 0 && known != null && known != batch.logEpoch()) {
      processed.add(new Arrival(index, p, batch.firstClassSeq(), batch.lastClassSeq(), 409, 0));
      reply(req, 409, new JsonObject().put("error", "LOG_EPOCH_MISMATCH")
          .put("message", "epoch " + Long.toHexString(batch.logEpoch()) + " != " + Long.toHexString(known))
          .put("committedClassSeq", wm), finished);
      return;
    }
    if (batch.skipGap()) {
      skips.incrementAndGet();
    }
    if (batch.firstClassSeq() > wm + 1) {
      processed.add(new Arrival(index, p, batch.firstClassSeq(), batch.lastClassSeq(), 409, 0));
      reply(req, 409, new JsonObject().put("error", "SEQUENCE_GAP")
          .put("message", "first " + batch.firstClassSeq() + " after " + wm).put("committedClassSeq", wm), finished);
      return;
    }
    int written = 0;
    for (int i = 0; i < batch.size(); i++) {
      Event e = EnvelopeCodec.decode(batch.envelopes().get(i));
      long cs = batch.firstClassSeq() + i;
      if (e.classSeq() != cs || e.priority() != p) {
        problems.add("request " + index + ": envelope " + i + " has classSeq " + e.classSeq() + " / " + e.priority());
      }
      if (cs > wm) {
        delivered.get(p).add(cs);
        if (!deliveredSeqs.add(e.seq())) {
          problems.add("seq " + e.seq() + " written twice");
        }
        written++;
      }
    }
    long committed = Math.max(wm, batch.lastClassSeq());
    synchronized (watermark) {
      watermark.put(p, committed);
      if (batch.logEpoch() != 0 && written > 0) {
        epochs.put(p, batch.logEpoch());
      }
    }
    duplicates.addAndGet(batch.size() - written);
    processed.add(new Arrival(index, p, batch.firstClassSeq(), batch.lastClassSeq(), 200, written));
    reply(req, 200, new JsonObject().put("nodeId", batch.nodeId()).put("priority", p.label())
        .put("committedClassSeq", committed).put("written", written).put("duplicates", batch.size() - written), finished);
  }

  private void reply(HttpServerRequest req, int status, JsonObject body, boolean[] finished) {
    JsonObject hint = admission;
    if (hint != null) {
      body.put("admission", hint.copy());
    }
    statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
    Runnable send = () -> req.response().setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.toBuffer())
        .onComplete(ar -> finish(finished));
    if (replyDelayMs > 0) {
      vertx.setTimer(replyDelayMs, id -> send.run());
    } else {
      send.run();
    }
  }

  private void finish(boolean[] finished) {
    if (!finished[0]) {
      finished[0] = true;
      outstanding.decrementAndGet();
    }
  }

  private String peerCn(HttpServerRequest req) {
    try {
      X509Certificate c = (X509Certificate) req.connection().peerCertificates().get(0);
      for (String part : c.getSubjectX500Principal().getName().split(",")) {
        if (part.startsWith("CN=")) {
          return part.substring(3);
        }
      }
    } catch (Exception e) {
      problems.add("no client certificate: " + e);
    }
    return "";
  }
}
