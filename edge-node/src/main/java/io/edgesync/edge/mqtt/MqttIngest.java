package io.edgesync.edge.mqtt;

import io.edgesync.edge.log.AppendResult;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogClosedException;
import io.edgesync.edge.log.LogFullException;
import io.edgesync.edge.mqtt.auth.MqttAuthenticator;
import io.edgesync.edge.mqtt.auth.MqttTls;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.mqtt.MqttTopicSubscription;
import io.vertx.mqtt.messages.MqttPublishMessage;
import io.vertx.mqtt.messages.MqttSubscribeMessage;
import io.vertx.mqtt.messages.MqttUnsubscribeMessage;
import io.vertx.mqtt.messages.codes.MqttPubAckReasonCode;
import io.vertx.mqtt.messages.codes.MqttPubRecReasonCode;
import io.vertx.mqtt.messages.codes.MqttSubAckReasonCode;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's MQTT listener: accepts MQTT 3.1, 3.1.1 and 5 clients (authenticated and held to
 * their topic ACLs by {@link MqttAuthenticator} when {@code mqtt.auth} is not none),
 * wraps every PUBLISH in an envelope and appends it to the {@link EventLog}. A QoS1 PUBACK
 * (QoS2 PUBREC) is sent only once the event is durable; QoS0 gets no acknowledgement. The
 * PUBACKs a group commit releases for one connection go out in one socket write
 * ({@link AckWriter}).
 *
 * <p>Per PUBLISH: source = client id; priority from {@code streams.*}; a payload that looks
 * like a JSON object is scanned for a top-level string {@code id} and number {@code ts}
 * ({@link PayloadFields}), anything else is stored as opaque bytes. A repeated (source, id)
 * and DUP redeliveries are acknowledged again without storing: in-flight ones by
 * {@link PacketIdDedup}, stored ones by the log's dedup index ({@link PacketIdDedup#logKey}).
 *
 * <p>Bounds and policies (docs/ARCHITECTURE-edge.md): a payload above
 * {@code mqtt.maxPayloadBytes} or a malformed packet closes that connection (one log line,
 * {@code edge_mqtt_rejected_total{reason}}); a full log drops QoS0 messages
 * ({@code edge_mqtt_dropped_total{reason=log_full}}) and closes QoS1/2 connections without
 * acknowledging (the client redelivers); above {@value #PAUSE_AT} of the log queue the
 * publishing sockets stop being read until it falls to {@value #RESUME_AT}.
 *
 * <p>Threads: {@code mqtt.eventLoops} listener instances share each port, one event loop
 * each; a connection lives on one event loop and all its handlers run there. Shared
 * state is concurrent.
 */
public final class MqttIngest {
  /** Log queue fill above which a publishing socket stops being read. */
  static final double PAUSE_AT = 0.75;
  /** Log queue fill at or below which paused sockets are read again. */
  static final double RESUME_AT = 0.25;
  /** Room for the fixed header, topic and properties on top of the payload bound. */
  static final int HEADER_ALLOWANCE = 8 * 1024;
  private static final int MQTT_MAX_REMAINING_LENGTH = 268_435_455;
  private static final long STOP_DRAIN_MS = 5_000;
  private static final Logger LOG = LoggerFactory.getLogger(MqttIngest.class);

  private final Vertx vertx;
  private final IngestSettings settings;
  private final EventLog log;
  private final MeterRegistry registry;
  private final Clock clock;
  private final StreamClassifier classifier;
  private final PacketIdDedup dedup;
  private final IngestHook hook;
  private final MqttAuthenticator auth;
  private final SubscriptionRegistry subscriptions = new SubscriptionRegistry();
  private final RateLimitedLog flowWarnings = new RateLimitedLog(LOG, 10, TimeUnit.SECONDS, System::nanoTime);

  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Map<String, Connection> byClientId = new ConcurrentHashMap<>();
  private final Set<Connection> paused = ConcurrentHashMap.newKeySet();
  private final AtomicInteger appendsInFlight = new AtomicInteger();
  private final List<String> deployments = new CopyOnWriteArrayList<>();
  private volatile boolean stopping;
  private volatile int port;
  private volatile int tlsPort;
  private Future<Void> stopped;

  private final Map<Priority, Counter> eventsIn = new EnumMap<>(Priority.class);
  private final Timer pubackTimer;
  private final Counter pauses;
  private final Counter invalidJson;
  private final Counter pubackFlushes;

  public MqttIngest(Vertx vertx, IngestSettings settings, EventLog log, MeterRegistry registry) {
    this(vertx, settings, log, registry, Clock.systemUTC());
  }

  public MqttIngest(Vertx vertx, IngestSettings settings, EventLog log, MeterRegistry registry, Clock clock) {
    this(vertx, settings, log, registry, clock, IngestHook.NONE);
  }

  /** @param hook local rules and validation, asked per PUBLISH before the append ({@link IngestHook#NONE}: none) */
  public MqttIngest(Vertx vertx, IngestSettings settings, EventLog log, MeterRegistry registry, Clock clock,
      IngestHook hook) {
    this.vertx = vertx;
    this.hook = hook;
    this.settings = settings;
    this.log = log;
    this.registry = registry;
    this.clock = clock;
    this.classifier = new StreamClassifier(settings.critical(), settings.bulk());
    this.auth = new MqttAuthenticator(vertx, settings.auth(), registry);
    auth.onReload(this::reviewConnections);
    // with the log's dedup index on, it answers for stored packet ids (crash-safe, fingerprinted)
    this.dedup = new PacketIdDedup(settings.dedupClients(), !log.dedupStats().enabled(), registry);
    for (Priority p : Priority.values()) {
      eventsIn.put(p, Counter.builder("edge.events.in").description("events accepted into the log")
          .tag("class", p.label()).register(registry));
    }
    this.pubackTimer = Timer.builder("edge.puback")
        .description("from PUBLISH received to PUBACK/PUBREC sent (durable append)")
        // buckets, not client-side percentiles: ~100 instead of ~190 ns per record (docs/BENCHMARKS.md),
        // and a scraper can take the quantile of any interval (histogram_quantile over _bucket deltas)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    this.pauses = Counter.builder("edge.mqtt.pauses")
        .description("times a publishing socket stopped being read (log queue above high watermark)")
        .register(registry);
    this.pubackFlushes = Counter.builder("edge.mqtt.puback.flushes")
        .description("socket writes carrying batched QoS1 PUBACKs (about one per connection per completed group "
            + "commit; edge_puback_seconds_count / this = PUBACKs per write)").register(registry);
    this.invalidJson = Counter.builder("edge.mqtt.json.invalid")
        .description("payloads starting with '{' that are not valid JSON (stored as opaque)").register(registry);
    Gauge.builder("edge.mqtt.connections", connections, Set::size)
        .description("connected MQTT clients").register(registry);
    Gauge.builder("edge.mqtt.paused.connections", paused, Set::size)
        .description("MQTT sockets not being read because of log backpressure").register(registry);
    // the same set, under the name of the disk-quota docs: sockets paused by the log (queue or quota)
    Gauge.builder("edge.backpressure.paused.connections", paused, Set::size)
        .description("MQTT sockets paused because the log is at its disk quota or its writer queue is full")
        .register(registry);
  }

  /** Binds the listeners. Fails with a message naming {@code mqtt.port} / {@code mqtt.tlsPort}. */
  public Future<Void> start() {
    log.onDurable(this::onDurable);
    return listen(settings.port(), false)
        .compose(p -> {
          port = p;
          return settings.tlsPort() > 0 ? listen(settings.tlsPort(), true) : Future.succeededFuture(0);
        })
        .map(p -> {
          tlsPort = p;
          LOG.info("MQTT listening on {}:{}{} ({} event loops, socket pause {})", settings.host(), port,
              tlsPort > 0 ? " and TLS " + tlsPort : "", settings.eventLoops(),
              SocketFlowControl.available() ? "available" : "unavailable");
          auth.logMode(settings.host(), port, tlsPort);
          return (Void) null;
        });
  }

  /**
   * Stops taking PUBLISH packets (sockets paused, later ones neither stored nor acked, so
   * their clients redeliver), waits up to 5 s for the appends in flight to be acked, then
   * closes the listeners and every connection. Idempotent.
   */
  public synchronized Future<Void> stop() {
    if (stopped != null) {
      return stopped;
    }
    stopping = true;
    for (Connection c : connections) {
      c.context.runOnContext(v -> c.pauseForStop());
    }
    Promise<Void> drained = Promise.promise();
    awaitAppends(System.currentTimeMillis() + STOP_DRAIN_MS, drained);
    List<String> ids = List.copyOf(deployments);
    stopped = drained.future()
        .compose(v -> Future.join(ids.stream().map(vertx::undeploy).toList()))
        .<Void>mapEmpty()
        .onComplete(ar -> {
          auth.close();
          LOG.info("MQTT listeners closed");
        });
    return stopped;
  }

  private void awaitAppends(long deadline, Promise<Void> drained) {
    int left = appendsInFlight.get();
    if (left == 0 || System.currentTimeMillis() > deadline) {
      if (left > 0) {
        LOG.warn("MQTT stop: {} appends still in flight after {} ms; closing anyway", left, STOP_DRAIN_MS);
      }
      drained.tryComplete();
      return;
    }
    vertx.setTimer(10, id -> awaitAppends(deadline, drained));
  }

  /** The bound plain MQTT port (the ephemeral one when configured 0); 0 before start. */
  public int actualPort() {
    return port;
  }

  /** The bound TLS port; 0 when the TLS listener is off. */
  public int actualTlsPort() {
    return tlsPort;
  }

  /** Connected clients. */
  public int connections() {
    return connections.size();
  }

  /** Sockets currently paused by backpressure. */
  public int pausedConnections() {
    return paused.size();
  }

  /** Subscriptions of the connected clients. */
  public int subscriptions() {
    return subscriptions.size();
  }

  /**
   * Publishes {@code payload} on {@code topic} to the connected clients subscribed to a
   * matching filter (at their granted QoS, at most 1). Not stored; a subscriber whose
   * socket write queue is full misses it (counted). Any thread.
   *
   * @return the number of subscribers it was handed to
   */
  public int publishLocal(String topic, Buffer payload) {
    return subscriptions.publish(topic, payload);
  }

  // ---------------------------------------------------------------- listeners

  private Future<Integer> listen(int configuredPort, boolean tls) {
    String key = tls ? "mqtt.tlsPort" : "mqtt.port";
    Set<Integer> bound = ConcurrentHashMap.newKeySet();
    // N instances of one deployment: Vert.x binds the port once and hands accepted
    // connections to the instances round-robin. Port 0 is not shared by Vert.x (each
    // instance would get its own free port); a negative port is Vert.x' "one free port
    // shared by every server listening on this same negative value".
    int listenPort = configuredPort == 0 ? -1 : configuredPort;
    return vertx.deployVerticle(() -> new Listener(listenPort, tls, bound),
            new DeploymentOptions().setInstances(settings.eventLoops()))
        .compose(id -> {
          deployments.add(id);
          if (bound.size() != 1) {
            return Future.failedFuture("the listener instances bound different ports " + bound);
          }
          return Future.succeededFuture(bound.iterator().next());
        })
        .recover(t -> Future.failedFuture(new IllegalStateException(
            "cannot listen on " + key + " " + configuredPort + " (" + settings.host() + "): " + t.getMessage(), t)));
  }

  private MqttServerOptions options(int listenPort, boolean tls) {
    MqttServerOptions o = new MqttServerOptions()
        .setHost(settings.host())
        .setPort(listenPort)
        .setMaxMessageSize((int) Math.min(MQTT_MAX_REMAINING_LENGTH,
            (long) settings.maxPayloadBytes() + HEADER_ALLOWANCE))
        .setMaxClientIdLength(256)
        .setAutoClientId(true);
    if (tls) {
      // TLS 1.2+, AEAD suites; client certificates when mqtt.auth has certificate
      MqttTls.apply(o, settings.tlsCert(), settings.tlsKey(), settings.auth());
    }
    return o;
  }

  /** One listener instance: an MQTT server on this verticle's event loop. */
  private final class Listener extends VerticleBase {
    private final int listenPort;
    private final boolean tls;
    private final Set<Integer> bound;
    private MqttServer server;

    Listener(int listenPort, boolean tls, Set<Integer> bound) {
      this.listenPort = listenPort;
      this.tls = tls;
      this.bound = bound;
    }

    @Override
    public Future<?> start() {
      server = MqttServer.create(vertx, options(listenPort, tls))
          .endpointHandler(MqttIngest.this::onConnect)
          .exceptionHandler(t -> LOG.debug("MQTT server error: {}", t.toString()));
      return server.listen().onSuccess(s -> bound.add(s.actualPort()));
    }

    @Override
    public Future<?> stop() {
      return server == null ? Future.succeededFuture() : server.close();
    }
  }

  // ---------------------------------------------------------------- connections

  /** One client connection; its mutable fields are touched on its event loop only. */
  private final class Connection implements SubscriptionRegistry.Subscriber {
    final MqttEndpoint endpoint;
    final Context context;
    final NetSocket socket; // null when socket pause is unavailable
    final AckWriter acks;
    final String clientId;
    final String remote;
    boolean pausedByLog;
    boolean rejected;
    MqttAuthenticator.ClientIdentity identity; // set before the CONNACK
    X509Certificate certificate; // the client's, when it presented one and mqtt.auth is on
    volatile boolean closed;

    Connection(MqttEndpoint endpoint, Context context, String clientId) {
      this.endpoint = endpoint;
      this.context = context;
      this.socket = SocketFlowControl.socketOf(endpoint);
      this.acks = new AckWriter(endpoint, socket, context, pubackFlushes::increment);
      this.clientId = clientId;
      this.remote = String.valueOf(endpoint.remoteAddress());
    }

    /** vertx-mqtt throws IllegalArgumentException/IllegalStateException on a closed endpoint. */
    void close() {
      closed = true;
      try {
        endpoint.close();
      } catch (IllegalStateException | IllegalArgumentException alreadyClosed) {
        // the transport closed it first
      }
    }

    void pauseForStop() {
      if (socket != null && !closed) {
        socket.pause();
      }
    }

    @Override
    public boolean deliver(String topic, Buffer payload, MqttQoS qos) {
      if (closed || (socket != null && socket.writeQueueFull())) {
        dropped("subscriber_slow").increment();
        return false;
      }
      context.runOnContext(v -> {
        if (!closed) {
          try {
            endpoint.publish(topic, payload, qos, false, false);
          } catch (IllegalStateException | IllegalArgumentException e) {
            dropped("subscriber_closed").increment();
          }
        }
      });
      return true;
    }
  }

  private void onConnect(MqttEndpoint endpoint) {
    if (stopping) {
      endpoint.reject(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
      return;
    }
    String clientId = endpoint.clientIdentifier();
    if (clientId == null || clientId.isEmpty()) {
      clientId = "edge-" + UUID.randomUUID();
      endpoint.setClientIdentifier(clientId);
    }
    if (!auth.enabled()) {
      accept(endpoint, clientId, null, null);
      return;
    }
    // authentication may run on a worker (PBKDF2); the CONNACK is sent when it is decided
    Context context = Vertx.currentContext();
    String id = clientId;
    X509Certificate peer = peerCertificate(endpoint);
    auth.authenticate(new MqttAuthenticator.Credentials(clientId, String.valueOf(endpoint.remoteAddress()),
            endpoint.auth() == null ? null : endpoint.auth().getUsername(),
            endpoint.auth() == null ? null : endpoint.auth().getPassword(), peer, endpoint.protocolVersion()))
        .onComplete(ar -> context.runOnContext(v -> {
          try {
            if (stopping) {
              endpoint.reject(MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
            } else if (ar.failed()) {
              LOG.warn("[client: {}] authentication failed: {}", id, ar.cause().toString());
              endpoint.reject(endpoint.protocolVersion() >= 5
                  ? MqttConnectReturnCode.CONNECTION_REFUSED_UNSPECIFIED_ERROR
                  : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE);
            } else if (!ar.result().accepted()) {
              endpoint.reject(ar.result().refusal());
            } else {
              accept(endpoint, id, ar.result().identity(), peer);
            }
          } catch (IllegalStateException | IllegalArgumentException gone) {
            LOG.debug("[client: {}] closed while being authenticated", id);
          }
        }));
  }

  /** The verified client certificate of a TLS connection, or null. */
  private static X509Certificate peerCertificate(MqttEndpoint endpoint) {
    SSLSession session = endpoint.isSsl() ? endpoint.sslSession() : null;
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException none) {
      return null;
    }
  }

  /** {@code identity} and {@code certificate} (the client's, or null) are those it was authenticated with. */
  private void accept(MqttEndpoint endpoint, String clientId, MqttAuthenticator.ClientIdentity identity,
      X509Certificate certificate) {
    Connection c = new Connection(endpoint, Vertx.currentContext(), clientId);
    c.identity = identity;
    c.certificate = certificate;
    endpoint.publishAutoAck(false);
    endpoint.exceptionHandler(t -> onError(c, t));
    endpoint.publishHandler(m -> onPublish(c, m));
    endpoint.publishReleaseHandler(id -> {
      if (!c.closed) {
        try {
          endpoint.publishComplete(id);
        } catch (IllegalStateException | IllegalArgumentException closed) {
          // the client redelivers the PUBREL after it reconnects
        }
      }
    });
    endpoint.subscribeHandler(m -> onSubscribe(c, m));
    endpoint.unsubscribeHandler(m -> onUnsubscribe(c, m));
    endpoint.closeHandler(v -> onClosed(c));
    connections.add(c);
    Connection previous = byClientId.put(clientId, c);
    if (previous != null && previous != c) {
      // MQTT: a new connection with the same client id takes over the session
      LOG.info("[client: {}] [remote: {}] replaces the connection from {}", clientId, c.remote, previous.remote);
      previous.context.runOnContext(v -> previous.close());
    }
    try {
      endpoint.accept(false);
    } catch (IllegalStateException | IllegalArgumentException gone) {
      onClosed(c); // the client left while it was being authenticated
      return;
    }
    LOG.debug("[client: {}] [remote: {}] connected (MQTT level {})", clientId, c.remote, endpoint.protocolVersion());
  }

  /**
   * After a reload of the users file or the CRL (worker thread): closes the connections whose
   * certificate is now revoked or whose users file entry was removed or changed. What they had
   * PUBACKed is stored; their reconnect is decided under the new file.
   */
  private void reviewConnections() {
    for (Connection c : connections) {
      if (c.closed) {
        continue;
      }
      MqttAuthenticator.Review r = auth.review(c.identity, c.certificate);
      if (!r.keep()) {
        c.context.runOnContext(v -> reject(c, r.reason(), r.detail()));
      }
    }
  }

  private void onClosed(Connection c) {
    c.closed = true;
    connections.remove(c);
    byClientId.remove(c.clientId, c);
    paused.remove(c);
    subscriptions.remove(c);
  }

  private void onError(Connection c, Throwable t) {
    if (t instanceof IOException) {
      LOG.debug("[client: {}] [remote: {}] connection error: {}", c.clientId, c.remote, t.toString());
      return;
    }
    String detail = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    if (t instanceof TooLongFrameException || t.getCause() instanceof TooLongFrameException) {
      reject(c, "oversized", detail + " (mqtt.maxPayloadBytes " + settings.maxPayloadBytes() + ")");
    } else {
      reject(c, "malformed", detail);
    }
  }

  /** Closes {@code c} for a protocol violation: one log line, one count. */
  private void reject(Connection c, String reason, String detail) {
    if (c.rejected) {
      return;
    }
    c.rejected = true;
    rejected(reason).increment();
    LOG.warn("[client: {}] [remote: {}] closing the MQTT connection: {}: {}", c.clientId, c.remote, reason, detail);
    c.close();
  }

  // ---------------------------------------------------------------- publish path

  private void onPublish(Connection c, MqttPublishMessage msg) {
    long received = System.nanoTime();
    if (c.closed) {
      return;
    }
    Buffer body = msg.payload();
    int qos = msg.qosLevel().value();
    if (body.length() > settings.maxPayloadBytes()) {
      reject(c, "oversized", "payload of " + body.length() + " bytes is above mqtt.maxPayloadBytes "
          + settings.maxPayloadBytes());
      return;
    }
    if (stopping) {
      // not stored, not acknowledged: a QoS1/2 client redelivers after it reconnects
      if (qos == 0) {
        dropped("shutdown").increment();
      }
      return;
    }
    int packetId = msg.messageId();
    if (c.identity != null && !c.identity.acl().mayPublish(msg.topicName())) {
      denyPublish(c, qos, packetId, msg.topicName());
      return;
    }
    if (qos > 0) {
      PacketIdDedup.Decision d = dedup.onPublish(c.clientId, packetId, msg.isDup());
      if (d.duplicate()) {
        d.prior().onComplete(ar -> onContext(c, () -> {
          if (ar.succeeded()) {
            acknowledge(c, qos, packetId, received);
          } else {
            appendFailed(c, qos, ar.cause());
          }
        }));
        return;
      }
    }
    byte[] payload = body.getBytes();
    String topic = msg.topicName();
    Priority priority = classifier.classify(topic);
    PayloadFields fields = PayloadFields.scan(payload);
    if (!fields.json() && payload.length > 0 && firstNonSpace(payload) == '{') {
      invalidJson.increment();
    }
    long now = clock.millis();
    byte[] envelope;
    IngestHook.Outcome outcome;
    try {
      // local rules and validation: drop, re-class, dead-letter, alert after the append
      outcome = hook.onEvent(new Event(0, 0, priority, c.clientId, topic, fields.id(),
          fields.ts() != null ? fields.ts() : now, now, payload));
      envelope = outcome.envelope();
    } catch (IllegalArgumentException e) {
      reject(c, "bad_event", e.getMessage());
      return;
    }
    if (outcome.dropped()) {
      if (qos > 0) {
        acknowledge(c, qos, packetId, received); // dropped by a rule: acknowledged, not stored
      }
      return;
    }
    appendsInFlight.incrementAndGet();
    // duplicates (same source+id, or a DUP redelivery the memory above no longer knows) are
    // recognised by the log writer, acknowledged and not stored
    Future<AppendResult> appended = outcome.afterAppend().apply(log.append(envelope, !outcome.dedup() ? null
        : PacketIdDedup.logKey(c.clientId, qos, packetId, msg.isDup(), topic, fields.id(), payload)));
    Future<Long> stored = appended.map(AppendResult::seq);
    if (qos > 0) {
      dedup.pending(c.clientId, packetId, stored);
    }
    applyBackpressure(c);
    stored.onComplete(ar -> {
      appendsInFlight.decrementAndGet();
      if (qos > 0) {
        dedup.finished(c.clientId, packetId, stored, ar.succeeded(),
            msg.isDup() && ar.succeeded() && appended.result().duplicate());
      }
      if (ar.succeeded()) {
        if (!appended.result().duplicate()) {
          eventsIn.get(outcome.priority()).increment();
        }
        if (qos > 0) {
          acknowledge(c, qos, packetId, received);
        }
      } else {
        appendFailed(c, qos, ar.cause());
      }
    });
  }

  /**
   * A PUBLISH outside the client's ACL: not stored. MQTT 5: PUBACK/PUBREC with 0x87 (QoS0:
   * dropped). MQTT 3.1.1 has no negative acknowledgement: the connection is closed.
   */
  private void denyPublish(Connection c, int qos, int packetId, String topic) {
    auth.aclDenied("publish", c.identity, c.clientId, c.remote, topic);
    if (c.endpoint.protocolVersion() < 5) {
      c.rejected = true;
      c.close();
      return;
    }
    try {
      if (qos == 1) {
        c.acks.flush(); // the batched PUBACKs of earlier PUBLISHes go first (PUBACK order)
        c.endpoint.publishAcknowledge(packetId, MqttPubAckReasonCode.NOT_AUTHORIZED, MqttProperties.NO_PROPERTIES);
      } else if (qos == 2) {
        c.endpoint.publishReceived(packetId, MqttPubRecReasonCode.NOT_AUTHORIZED, MqttProperties.NO_PROPERTIES);
      }
    } catch (IllegalStateException | IllegalArgumentException closed) {
      // nothing to acknowledge on a closed connection
    }
  }

  private void acknowledge(Connection c, int qos, int packetId, long receivedNanos) {
    if (c.closed) {
      return; // the client redelivers with DUP; the dedup state acknowledges without storing
    }
    try {
      if (qos == 1) {
        c.acks.puback(packetId); // written with the others of this task, in one write and flush
      } else {
        c.endpoint.publishReceived(packetId);
      }
      pubackTimer.record(System.nanoTime() - receivedNanos, TimeUnit.NANOSECONDS);
    } catch (IllegalStateException | IllegalArgumentException closed) {
      // closed between the check and the write; same as above
    }
  }

  private void appendFailed(Connection c, int qos, Throwable cause) {
    String reason = cause instanceof LogFullException ? "log_full"
        : cause instanceof LogClosedException ? "shutdown" : "log_error";
    if (qos == 0) {
      dropped(reason).increment();
      flowWarnings.warn("[client: {}] QoS0 message dropped: {}", c.clientId, cause.getMessage());
      return;
    }
    if (c.closed || c.rejected) {
      return;
    }
    c.rejected = true;
    rejected(reason).increment();
    flowWarnings.warn("[client: {}] [remote: {}] closing the MQTT connection without acknowledging (the client "
        + "redelivers): {}: {}", c.clientId, c.remote, reason, cause.getMessage());
    c.close();
  }

  // ---------------------------------------------------------------- backpressure

  private void applyBackpressure(Connection c) {
    if (c.socket == null || c.pausedByLog || log.queuePressure() < PAUSE_AT) {
      return;
    }
    c.pausedByLog = true;
    c.socket.pause();
    paused.add(c);
    pauses.increment();
    // the writer may have drained before we registered: it would not have resumed us
    if (log.queuePressure() <= RESUME_AT) {
      resumePaused();
    }
  }

  /** Writer thread, after each durable group: only schedules work. */
  private void onDurable() {
    if (!paused.isEmpty() && log.queuePressure() <= RESUME_AT) {
      resumePaused();
    }
  }

  private void resumePaused() {
    for (Connection c : paused) {
      if (paused.remove(c)) {
        c.context.runOnContext(v -> {
          c.pausedByLog = false;
          if (!stopping && !c.closed) {
            c.socket.resume();
          }
        });
      }
    }
  }

  // ---------------------------------------------------------------- subscriptions

  private void onSubscribe(Connection c, MqttSubscribeMessage m) {
    List<MqttQoS> granted = new ArrayList<>();
    List<MqttSubAckReasonCode> codes = new ArrayList<>(); // MQTT 5 reason codes, same order
    for (MqttTopicSubscription s : m.topicSubscriptions()) {
      try {
        TopicFilter f = TopicFilter.parse(s.topicName());
        if (c.identity != null && !c.identity.acl().maySubscribe(s.topicName())) {
          auth.aclDenied("subscribe", c.identity, c.clientId, c.remote, s.topicName());
          granted.add(MqttQoS.FAILURE);
          codes.add(MqttSubAckReasonCode.NOT_AUTHORIZED);
          continue;
        }
        MqttQoS q = s.qualityOfService().value() >= 1 ? MqttQoS.AT_LEAST_ONCE : MqttQoS.AT_MOST_ONCE;
        subscriptions.subscribe(c, f, q);
        granted.add(q);
        codes.add(MqttSubAckReasonCode.qosGranted(q));
      } catch (IllegalArgumentException e) {
        granted.add(MqttQoS.FAILURE);
        codes.add(MqttSubAckReasonCode.UNSPECIFIED_ERROR);
      }
    }
    if (c.endpoint.protocolVersion() >= 5 && codes.contains(MqttSubAckReasonCode.NOT_AUTHORIZED)) {
      c.endpoint.subscribeAcknowledge(m.messageId(), codes, MqttProperties.NO_PROPERTIES);
    } else {
      c.endpoint.subscribeAcknowledge(m.messageId(), granted);
    }
  }

  private void onUnsubscribe(Connection c, MqttUnsubscribeMessage m) {
    m.topics().forEach(t -> subscriptions.unsubscribe(c, t));
    c.endpoint.unsubscribeAcknowledge(m.messageId());
  }

  // ---------------------------------------------------------------- helpers

  private static void onContext(Connection c, Runnable action) {
    if (Vertx.currentContext() == c.context) {
      action.run();
    } else {
      c.context.runOnContext(v -> action.run());
    }
  }

  private Counter rejected(String reason) {
    return Counter.builder("edge.mqtt.rejected")
        .description("MQTT connections closed for bad input, because the log could not take a QoS1/2 message, or by a reload: revoked certificate, users file entry removed or changed")
        .tag("reason", reason).register(registry);
  }

  private Counter dropped(String reason) {
    return Counter.builder("edge.mqtt.dropped").description("messages dropped (QoS0 on a full log, local publishes)")
        .tag("reason", reason).register(registry);
  }

  private static byte firstNonSpace(byte[] b) {
    for (byte x : b) {
      if (x != ' ' && x != '\t' && x != '\n' && x != '\r') {
        return x;
      }
    }
    return 0;
  }
}
