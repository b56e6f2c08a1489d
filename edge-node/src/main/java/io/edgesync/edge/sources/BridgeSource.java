package io.edgesync.edge.sources;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.log.AppendResult;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.IngestHook;
import io.edgesync.edge.mqtt.PayloadFields;
import io.edgesync.model.Event;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mqtt.MqttClient;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.mqtt.MqttClientOptions;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.core.net.NetSocket;
import java.lang.reflect.Field;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MQTT bridge: the edge is an MQTT 3.1.1 client of an upstream broker (a plant broker),
 * over plain TCP or TLS ({@code bridge.<name>.tls}: OpenSSL engine, the broker's certificate
 * checked against {@code ca} and, unless {@code verifyHost=false}, the endpoint's host name;
 * optionally a client certificate), connected with a persistent session (clean session 0, client
 * id {@code bridge.<name>.clientId})
 * and subscribed to {@code bridge.<name>.topics} at QoS1. Each upstream PUBLISH is appended to
 * the {@link EventLog} as an event of source {@code bridge:<name>} with the upstream topic,
 * through the same {@link IngestHook} (local rules) as the MQTT listener, and the PUBACK to
 * the upstream broker is sent <b>only from the append's completion</b>, i.e. once the event
 * is in the fsynced WAL. An edge killed before that leaves the message unacknowledged in the
 * upstream session, and the broker redelivers it (DUP=1) on the next connection.
 *
 * <p>Redeliveries are made idempotent by the log's dedup index: a payload with a top-level
 * string {@code id} is keyed by (source, id); otherwise by (source, upstream packet id) with a
 * topic+payload fingerprint, checked only for DUP=1 (see docs/ARCHITECTURE-edge.md, "Sources",
 * for the limitation of the second rule).
 *
 * <p>Bounds: the upstream broker sends at most its in-flight window of unacknowledged QoS1
 * messages, and the PUBACKs are withheld while the log's disk quota holds appends, so a full
 * log slows the upstream session down. Above {@value #PAUSE_AT} log pressure the client's
 * socket stops being read (Netty auto-read off; vertx-mqtt's client has no pause, so its
 * private {@code MqttClientImpl.connection} socket is found by reflection, as
 * {@code edge.mqtt.SocketFlowControl} does for the listener) and it is resumed at
 * {@value #RESUME_AT}. When the log refuses an append (writer queue full, closing) the bridge
 * drops the connection and reconnects after the backoff, and the broker redelivers what was
 * not acknowledged. Reconnects use capped exponential backoff with jitter. Everything runs on
 * this verticle's event loop; {@link #status()} reads volatile fields and counters only.
 */
public final class BridgeSource extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeSource.class);
  private static final int KEEP_ALIVE_SECONDS = 30;
  static final double PAUSE_AT = 0.75;
  static final double RESUME_AT = 0.25;
  private static final long PAUSED_CHECK_MS = 100;
  private static final Field CONNECTION = connectionField();

  private final BridgeSettings settings;
  private final EventLog log;
  private final IngestHook hook;
  private final Clock clock;
  private final String source;

  // event-loop state
  private MqttClient client;
  private boolean stopping;
  private long reconnectTimer = -1;
  private final ReconnectBackoff backoff;
  private boolean everConnected;
  private long pausedTimer = -1;

  // read by status() from other threads
  private volatile boolean connected;
  private volatile boolean sessionPresent;
  private volatile boolean subscribed;
  private volatile boolean paused;
  /** Why the last connection attempt failed, or null since the last success. */
  private volatile String lastError;
  private final AtomicInteger inFlight = new AtomicInteger();

  private final Counter messages;
  private final Counter redeliveries;
  private final Counter duplicates;
  private final Counter reconnects;
  private final Counter appendFailures;
  private final Counter rejectedTooLarge;
  private final Counter rejectedBadEvent;
  private final Counter pauses;

  public BridgeSource(BridgeSettings settings, EventLog log, IngestHook hook, MeterRegistry registry, Clock clock) {
    this.settings = settings;
    this.log = log;
    this.hook = hook;
    this.clock = clock;
    this.source = settings.source();
    this.backoff = new ReconnectBackoff(settings.reconnectInitial(), settings.reconnectMax());
    String b = settings.name();
    messages = counter(registry, "edge.bridge.messages", b, "PUBLISH packets received from the upstream broker");
    redeliveries = counter(registry, "edge.bridge.redeliveries", b, "upstream PUBLISH packets with DUP=1");
    duplicates = counter(registry, "edge.bridge.duplicates", b,
        "upstream messages the log's dedup index recognised as already stored (acknowledged, not stored again)");
    reconnects = counter(registry, "edge.bridge.reconnects", b, "connections to the upstream broker after the first");
    appendFailures = counter(registry, "edge.bridge.append.failures", b,
        "messages the log refused (full, closing); not acknowledged, the connection is reset");
    rejectedTooLarge = Counter.builder("edge.bridge.rejected").tag("bridge", b).tag("reason", "too_large")
        .description("upstream messages not stored").register(registry);
    rejectedBadEvent = Counter.builder("edge.bridge.rejected").tag("bridge", b).tag("reason", "bad_event")
        .description("upstream messages not stored").register(registry);
    pauses = counter(registry, "edge.bridge.pauses", b, "times the upstream socket stopped being read (log pressure)");
    Gauge.builder("edge.bridge.connected", this, s -> s.connected ? 1 : 0).tag("bridge", b)
        .description("1 while connected to the upstream broker").register(registry);
    Gauge.builder("edge.bridge.in.flight", inFlight, AtomicInteger::get).tag("bridge", b)
        .description("upstream messages appended and not yet acknowledged upstream").register(registry);
  }

  private static Counter counter(MeterRegistry r, String name, String bridge, String description) {
    return Counter.builder(name).tag("bridge", bridge).description(description).register(r);
  }

  @Override
  public Future<?> start() {
    log.onDurable(() -> {
      if (paused && log.queuePressure() <= RESUME_AT) {
        context.runOnContext(v -> resumeIfLow());
      }
    });
    connect();
    LOG.info("[bridge: {}] connecting to {} as {} (topics {}, class {})", settings.name(), settings.endpoint(),
        settings.clientId(), settings.topics(), settings.priority().label());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    if (reconnectTimer >= 0) {
      vertx.cancelTimer(reconnectTimer);
    }
    clearPause();
    connected = false;
    MqttClient c = client;
    client = null;
    if (c == null || !c.isConnected()) {
      return Future.succeededFuture();
    }
    // unacknowledged messages stay in the upstream session and are redelivered on the next start
    return c.disconnect().recover(t -> Future.succeededFuture());
  }

  public String name() {
    return settings.name();
  }

  /** The bridge's part of {@code /status}; safe from any thread. */
  public JsonObject status() {
    return new JsonObject()
        .put("endpoint", settings.endpoint().toString())
        .put("clientId", settings.clientId())
        .put("topics", new JsonArray(settings.topics()))
        .put("source", source)
        .put("tls", settings.tls() != null)
        .put("connected", connected)
        .put("lastError", lastError)
        .put("sessionPresent", sessionPresent)
        .put("subscribed", subscribed)
        .put("messages", (long) messages.count())
        .put("redeliveries", (long) redeliveries.count())
        .put("duplicates", (long) duplicates.count())
        .put("inFlight", inFlight.get())
        .put("paused", paused)
        .put("pauses", (long) pauses.count())
        .put("appendFailures", (long) appendFailures.count())
        .put("rejectedTooLarge", (long) rejectedTooLarge.count())
        .put("rejectedBadEvent", (long) rejectedBadEvent.count())
        .put("reconnects", (long) reconnects.count());
  }

  // ---------------------------------------------------------------- connection

  private void connect() {
    reconnectTimer = -1;
    if (stopping) {
      return;
    }
    MqttClientOptions options = new MqttClientOptions()
        .setClientId(settings.clientId())
        .setCleanSession(false)
        .setKeepAliveInterval(KEEP_ALIVE_SECONDS)
        .setAutoKeepAlive(true)
        .setMaxMessageSize(settings.maxPayloadBytes() + 64 * 1024);
    options.setAutoAck(false);
    options.setConnectTimeout(5_000);
    options.setTcpNoDelay(true);
    BridgeSettings.Tls tls = settings.tls();
    if (tls != null) {
      options.setSsl(true);
      options.setSslEngineOptions(new OpenSSLEngineOptions());
      if (tls.ca() != null) {
        options.setTrustOptions(new PemTrustOptions().addCertPath(tls.ca().toString()));
      }
      if (tls.cert() != null) {
        options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert().toString())
            .setKeyPath(tls.key().toString()));
      }
      options.setHostnameVerificationAlgorithm(tls.verifyHost() ? "HTTPS" : "");
    }
    if (settings.username() != null) {
      options.setUsername(settings.username());
    }
    if (settings.password() != null) {
      options.setPassword(settings.password());
    }
    MqttClient c = MqttClient.create(vertx, options);
    client = c;
    // handlers before CONNECT: a persistent session's redeliveries follow the CONNACK at once
    c.publishHandler(m -> {
      if (client == c) {
        onPublish(c, m);
      }
    });
    c.exceptionHandler(t -> LOG.debug("[bridge: {}] connection error: {}", settings.name(), t.toString()));
    c.closeHandler(v -> onClosed(c));
    c.subscribeCompletionHandler(ack -> {
      if (client != c) {
        return;
      }
      if (ack.grantedQoSLevels().contains(0x80)) {
        LOG.warn("[bridge: {}] the upstream broker refused a topic filter of {} (granted {})", settings.name(),
            settings.topics(), ack.grantedQoSLevels());
      }
      subscribed = true;
    });
    c.connect(settings.endpoint().port(), settings.endpoint().host()).onComplete(ar -> {
      if (client != c) {
        if (ar.succeeded()) {
          c.disconnect();
        }
        return;
      }
      if (ar.failed()) {
        String why = describe(ar.cause());
        if (!why.equals(lastError)) {
          // a new reason (a refused TLS handshake, a CONNACK refusal) once at warn; its repetitions at debug
          LOG.warn("[bridge: {}] cannot connect to {}: {}; retrying with back-off", settings.name(),
              settings.endpoint(), why);
        } else {
          LOG.debug("[bridge: {}] cannot connect to {}: {}", settings.name(), settings.endpoint(), why);
        }
        lastError = why;
        client = null;
        scheduleReconnect();
        return;
      }
      connected = true;
      lastError = null;
      sessionPresent = ar.result().isSessionPresent();
      if (everConnected) {
        reconnects.increment();
      }
      everConnected = true;
      LOG.info("[bridge: {}] connected to {} (session present: {})", settings.name(), settings.endpoint(),
          sessionPresent);
      Map<String, Integer> topics = new LinkedHashMap<>();
      for (String t : settings.topics()) {
        topics.put(t, MqttQoS.AT_LEAST_ONCE.value());
      }
      c.subscribe(topics).onFailure(t -> {
        LOG.warn("[bridge: {}] SUBSCRIBE failed: {}; reconnecting", settings.name(), t.toString());
        reset(c);
      });
    });
  }

  private void onClosed(MqttClient c) {
    if (client != c) {
      return;
    }
    client = null;
    connected = false;
    subscribed = false;
    clearPause();
    if (!stopping) {
      LOG.warn("[bridge: {}] connection to {} lost; reconnecting", settings.name(), settings.endpoint());
      scheduleReconnect();
    }
  }

  /** Drops the connection (unacknowledged messages stay upstream) and reconnects after the backoff. */
  private void reset(MqttClient c) {
    if (client != c) {
      return;
    }
    client = null;
    connected = false;
    subscribed = false;
    clearPause();
    if (c.isConnected()) {
      c.disconnect();
    }
    scheduleReconnect();
  }

  /** Capped exponential backoff with equal jitter: delay in [backoff/2, backoff]. */
  private void scheduleReconnect() {
    if (stopping || reconnectTimer >= 0) {
      return;
    }
    reconnectTimer = vertx.setTimer(backoff.nextDelayMs(), id -> connect());
  }

  // ---------------------------------------------------------------- publish path

  private void onPublish(MqttClient c, MqttPublishMessage m) {
    messages.increment();
    if (m.isDup()) {
      redeliveries.increment();
    }
    backoff.reset(); // a working connection resets the backoff
    boolean qos1 = m.qosLevel() != MqttQoS.AT_MOST_ONCE;
    byte[] payload = m.payload().getBytes();
    String topic = m.topicName();
    if (payload.length > settings.maxPayloadBytes()) {
      rejectedTooLarge.increment();
      LOG.warn("[bridge: {}] message on {} of {} bytes above bridge.{}.maxPayloadBytes skipped (acknowledged)",
          settings.name(), topic, payload.length, settings.name());
      ack(c, m, qos1);
      return;
    }
    PayloadFields fields = PayloadFields.scan(payload);
    long now = clock.millis();
    IngestHook.Outcome outcome;
    try {
      outcome = hook.onEvent(new Event(0, 0, settings.priority(), source, topic, fields.id(),
          fields.ts() != null ? fields.ts() : now, now, payload));
    } catch (IllegalArgumentException e) {
      rejectedBadEvent.increment();
      LOG.warn("[bridge: {}] message on {} cannot be stored: {} (acknowledged)", settings.name(), topic,
          e.getMessage());
      ack(c, m, qos1);
      return;
    }
    if (outcome.dropped()) {
      ack(c, m, qos1); // dropped by a rule: acknowledged, not stored
      return;
    }
    DedupKey key = null;
    if (outcome.dedup()) {
      key = fields.id() != null ? DedupKey.explicitId(source, fields.id())
          : qos1 ? DedupKey.packetId(source, m.messageId(), m.isDup(), topic, payload) : null;
    }
    inFlight.incrementAndGet();
    Future<AppendResult> appended = outcome.afterAppend().apply(log.append(outcome.envelope(), key));
    applyBackpressure(c);
    appended.onComplete(ar -> {
      inFlight.decrementAndGet();
      if (ar.succeeded()) {
        if (ar.result().duplicate()) {
          duplicates.increment();
        }
        ack(c, m, qos1); // the PUBACK leaves only now: the event is in the fsynced WAL
      } else {
        appendFailures.increment();
        if (!stopping && client == c) {
          LOG.warn("[bridge: {}] the log refused a message ({}); resetting the connection to have it redelivered",
              settings.name(), ar.cause().toString());
          reset(c);
        }
      }
    });
  }

  private void ack(MqttClient c, MqttPublishMessage m, boolean qos1) {
    if (qos1 && client == c && c.isConnected()) {
      m.ack();
    }
  }

  // ---------------------------------------------------------------- backpressure

  private void applyBackpressure(MqttClient c) {
    if (paused || log.queuePressure() < PAUSE_AT) {
      return;
    }
    NetSocket socket = socketOf(c);
    if (socket == null) {
      return; // no pause available: withheld PUBACKs and the reset on a refused append bound it
    }
    paused = true;
    socket.pause();
    pauses.increment();
    // the quota can keep the pressure high with no group commit to wake us: check periodically too
    pausedTimer = vertx.setPeriodic(PAUSED_CHECK_MS, id -> resumeIfLow());
  }

  private void resumeIfLow() {
    if (!paused || log.queuePressure() > RESUME_AT) {
      return;
    }
    MqttClient c = client;
    clearPause();
    NetSocket socket = c == null || stopping ? null : socketOf(c);
    if (socket != null) {
      socket.resume();
    }
  }

  private void clearPause() {
    paused = false;
    if (pausedTimer >= 0) {
      vertx.cancelTimer(pausedTimer);
      pausedTimer = -1;
    }
  }

  private static NetSocket socketOf(MqttClient c) {
    if (CONNECTION == null || !CONNECTION.getDeclaringClass().isInstance(c)) {
      return null;
    }
    try {
      return (NetSocket) CONNECTION.get(c);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  private static Field connectionField() {
    try {
      Field f = Class.forName("io.vertx.mqtt.impl.MqttClientImpl").getDeclaredField("connection");
      if (!NetSocket.class.isAssignableFrom(f.getType())) {
        throw new NoSuchFieldException("connection is a " + f.getType().getName());
      }
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LoggerFactory.getLogger(BridgeSource.class).warn("MQTT bridge socket pause is unavailable with this "
          + "vertx-mqtt ({}); backpressure relies on withheld PUBACKs and connection resets", e.toString());
      return null;
    }
  }

  /** The failure and its innermost cause (an SSL handshake error is wrapped), one line. */
  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == t ? t.toString() : t.toString() + " (" + root + ")";
  }
}
