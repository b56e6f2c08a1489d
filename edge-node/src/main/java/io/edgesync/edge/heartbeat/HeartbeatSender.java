package io.edgesync.edge.heartbeat;

import io.edgesync.config.HostPort;
import io.edgesync.edge.forward.CloudClientOptions;
import io.edgesync.edge.forward.ForwarderConfig;
import io.edgesync.edge.log.LogReader;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts a heartbeat ({@link HeartbeatBody}) to the cloud every {@code heartbeat.intervalMs}:
 * {@code POST /v1/heartbeat} over HTTP/2 with mutual TLS, with the forwarder's TLS files and to
 * the endpoint the forwarder currently uses, on its own HTTP client (one connection). The cloud
 * answers {@code 200 {"serverTime"}}; the clock offset (cloud - edge, midpoint of the round trip)
 * is kept in {@code edge_heartbeat_clock_offset_seconds}.
 *
 * <p>Best effort: at most one heartbeat in flight (a tick while one is pending is skipped,
 * {@code edge_heartbeats_total{result="skipped"}}); a failure is counted
 * ({@code result="failed"}) and logged at debug level only, because the forwarder's link
 * state is the authority on connectivity. The age of each class's oldest event is read from the
 * log on a worker (one point read per class and heartbeat).
 *
 * <p>Threads: runs on one Vert.x context taken at {@link #start()}; start and stop from any thread.
 */
public final class HeartbeatSender {
  static final String PATH = "/v1/heartbeat";
  static final String CONFIG_PATH = "/v1/config";
  /** Largest desired-config body accepted (two rules files of at most 128 KiB, JSON-escaped). */
  static final int MAX_CONFIG_BYTES = 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSender.class);
  private static final long MAX_REQUEST_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final ForwarderConfig config;
  private final long intervalMs;
  private final Supplier<JsonObject> status;
  private final LogReader log;
  private final Clock clock;
  private final HeartbeatBody body;
  private final Counter ok;
  private final Counter failed;
  private final Counter skipped;
  private final AtomicLong clockOffsetMs = new AtomicLong();
  private final Map<Priority, Long> oldestAgeMs = new EnumMap<>(Priority.class);
  /** Receives the desired config (rollouts); null = none. */
  private volatile DesiredConfigReceiver desired;
  private volatile Context context;
  private HttpClientAgent client;
  private long timer = -1;
  private boolean pending;
  private boolean stopped;

  /**
   * @param config     the forwarder's settings (TLS files, endpoints, request timeout)
   * @param intervalMs time between heartbeats (> 0)
   * @param status     the node's {@code /status} document (non-blocking)
   * @param log        the event log, for the age of the oldest event of each class
   */
  public HeartbeatSender(Vertx vertx, ForwarderConfig config, long intervalMs, Supplier<JsonObject> status,
      LogReader log, MeterRegistry registry, Clock clock) {
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("intervalMs must be > 0 (got " + intervalMs + ")");
    }
    this.vertx = vertx;
    this.config = config;
    this.intervalMs = intervalMs;
    this.status = status;
    this.log = log;
    this.clock = clock;
    this.body = new HeartbeatBody(registry, intervalMs);
    ok = counter(registry, "ok");
    failed = counter(registry, "failed");
    skipped = counter(registry, "skipped");
    Gauge.builder("edge.heartbeat.clock.offset", clockOffsetMs, a -> a.get() / 1000.0)
        .description("cloud clock minus edge clock, from the last heartbeat (midpoint of the round trip)")
        .baseUnit("seconds").register(registry);
    for (Priority p : Priority.values()) {
      Gauge.builder("edge.log.oldest.event.age", this, h -> h.oldestAgeSeconds(p)).tag("class", p.label())
          .description("age of the oldest event not yet released (ingest time), refreshed with each heartbeat; "
              + "0 when the class is empty")
          .baseUnit("seconds").register(registry);
    }
  }

  private static Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("edge.heartbeats").tag("result", result)
        .description("heartbeats to the cloud by result: ok, failed, skipped (previous one still pending)")
        .register(registry);
  }

  /**
   * Reports {@code receiver}'s state in every heartbeat and pulls the desired config
   * ({@code GET /v1/config}) when the reply names one it wants. Call before {@link #start()}.
   */
  public HeartbeatSender desiredConfig(DesiredConfigReceiver receiver) {
    this.desired = receiver;
    return this;
  }

  /** Starts the periodic heartbeat; the first one goes out at once. */
  public Future<Void> start() {
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    ctx.runOnContext(v -> {
      context = ctx;
      client = createClient();
      timer = vertx.setPeriodic(1, intervalMs, id -> beat());
      LOG.info("[node-id: {}] heartbeat every {} ms to {}{}", config.nodeId(), intervalMs, endpoint(), PATH);
      started.complete();
    });
    return started.future();
  }

  /** Stops the timer and closes the client. Idempotent. */
  public Future<Void> stop() {
    Context ctx = context;
    if (ctx == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    ctx.runOnContext(v -> {
      if (stopped) {
        done.complete();
        return;
      }
      stopped = true;
      vertx.cancelTimer(timer);
      client.close().onComplete(ar -> done.complete());
    });
    return done.future();
  }

  /** Cloud minus edge clock from the last answered heartbeat, in ms (0 before the first). */
  public long clockOffsetMs() {
    return clockOffsetMs.get();
  }

  private double oldestAgeSeconds(Priority p) {
    synchronized (oldestAgeMs) {
      Long v = oldestAgeMs.get(p);
      return v == null ? 0 : v / 1000.0;
    }
  }

  private void beat() {
    if (stopped) {
      return;
    }
    if (pending) {
      skipped.increment();
      return;
    }
    pending = true;
    vertx.executeBlocking(this::readOldestAges, false)
        .compose(ages -> {
          long now = clock.millis();
          JsonObject hb = body.build(status.get(), ages, now);
          DesiredConfigReceiver r = desired;
          if (r != null) {
            hb.put("config", r.report());
          }
          return post(hb);
        })
        .compose(reply -> pullDesiredConfig(reply).recover(e -> {
          // the heartbeat itself went through; the pull is retried with the next one
          LOG.debug("[node-id: {}] desired config not pulled: {}", config.nodeId(), e.toString());
          return Future.succeededFuture();
        }))
        .onComplete(ar -> {
          pending = false;
          if (ar.succeeded()) {
            ok.increment();
          } else {
            failed.increment();
            LOG.debug("[node-id: {}] heartbeat failed: {}", config.nodeId(), ar.cause().toString());
          }
        });
  }

  /** Worker: the ingest time of the first event of each class still in the log. */
  private Map<Priority, Long> readOldestAges() {
    Map<Priority, Long> out = new EnumMap<>(Priority.class);
    long now = clock.millis();
    for (Priority p : Priority.values()) {
      long released = log.releasedClassSeq(p);
      if (log.lastClassSeq(p) <= released) {
        continue;
      }
      try {
        List<byte[]> first = log.read(p, released + 1, 1, Integer.MAX_VALUE);
        if (!first.isEmpty()) {
          out.put(p, Math.max(0, now - EnvelopeCodec.decode(first.get(0)).ingestTimeMs()));
        }
      } catch (RuntimeException e) {
        LOG.debug("[node-id: {}] oldest {} event not readable: {}", config.nodeId(), p.label(), e.toString());
      }
    }
    synchronized (oldestAgeMs) {
      oldestAgeMs.clear();
      oldestAgeMs.putAll(out);
    }
    return out;
  }

  /**
   * When the heartbeat reply names a desired config the receiver wants: fetches it over the same
   * mTLS client and applies it (the next heartbeat reports the outcome). A failed fetch is retried
   * at the next heartbeat.
   */
  private Future<Void> pullDesiredConfig(JsonObject reply) {
    DesiredConfigReceiver r = desired;
    JsonObject hint = reply == null ? null : reply.getValue("config") instanceof JsonObject c ? c : null;
    String id = hint == null ? null : hint.getValue("id") instanceof String s ? s : null;
    if (r == null || !r.wants(id)) {
      return Future.succeededFuture();
    }
    HostPort target = endpoint();
    return client.request(new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(target.host())
            .setPort(target.port())
            .setURI(CONFIG_PATH)
            .setIdleTimeout(Math.max(100, Math.min(MAX_REQUEST_TIMEOUT_MS, config.requestTimeout().toMillis()))))
        .compose(req -> req.send())
        .compose(resp -> resp.body().compose(b -> {
          if (resp.statusCode() == 204) {
            return Future.succeededFuture();
          }
          if (resp.statusCode() != 200 || b.length() > MAX_CONFIG_BYTES) {
            return Future.failedFuture("GET " + CONFIG_PATH + ": HTTP " + resp.statusCode() + " (" + b.length()
                + " bytes)");
          }
          return r.apply(b.toJsonObject());
        }));
  }

  private Future<JsonObject> post(JsonObject hb) {
    HostPort target = endpoint();
    long timeoutMs = Math.max(100, Math.min(Math.min(intervalMs, MAX_REQUEST_TIMEOUT_MS),
        config.requestTimeout().toMillis()));
    long sentAt = clock.millis();
    return client.request(new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(target.host())
            .setPort(target.port())
            .setURI(PATH)
            .setIdleTimeout(timeoutMs)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json"))
        .compose(req -> req.send(hb.toBuffer()))
        .compose(resp -> resp.body().compose(b -> {
          if (resp.statusCode() != 200) {
            return Future.failedFuture("HTTP " + resp.statusCode() + " " + b.toString());
          }
          long receivedAt = clock.millis();
          JsonObject reply = b.toJsonObject();
          Object serverTime = reply.getValue("serverTime");
          if (serverTime instanceof Number t) {
            clockOffsetMs.set(t.longValue() - (sentAt + receivedAt) / 2);
          }
          return Future.succeededFuture(reply);
        }));
  }

  /** The endpoint the forwarder uses now (from its status), else the first configured one. */
  private HostPort endpoint() {
    try {
      JsonObject s = status.get();
      Object fw = s.getValue("forwarder");
      if (fw instanceof JsonObject f && f.getValue("endpoint") instanceof String e) {
        for (HostPort hp : config.endpoints()) {
          if (hp.toString().equals(e)) {
            return hp;
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("status not available for the heartbeat endpoint: {}", e.toString());
    }
    return config.endpoints().get(0);
  }

  private HttpClientAgent createClient() {
    HttpClientOptions options = CloudClientOptions.of(config,
        java.time.Duration.ofMillis(Math.min(MAX_REQUEST_TIMEOUT_MS, config.requestTimeout().toMillis())));
    return vertx.createHttpClient(options, new PoolOptions().setHttp2MaxSize(1).setMaxWaitQueueSize(2));
  }
}
