package io.edgesync.edge.app;

import io.edgesync.config.HostPort;
import io.edgesync.edge.config.EdgeConfig;
import io.edgesync.edge.forward.BatchForwarder;
import io.edgesync.edge.forward.ReplayAdmin;
import io.edgesync.edge.heartbeat.HeartbeatSender;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.MqttIngest;
import io.edgesync.edge.rollout.ManagedConfig;
import io.edgesync.edge.rules.LocalRules;
import io.edgesync.edge.sources.BridgeSource;
import io.edgesync.edge.sources.FeedSource;
import io.edgesync.edge.sources.SourceGroup;
import io.edgesync.edge.status.NodeStatus;
import io.edgesync.edge.status.StatusPage;
import io.edgesync.edge.status.StatusServer;
import io.edgesync.metrics.ProcessMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One edge node: wires the event log, the MQTT ingest, the status server and the
 * forwarder, and runs their lifecycle. Start order: open the log, load the local rules
 * (restoring their state), start MQTT, start the status server, start the forwarder. Stop
 * order: stop taking MQTT publishes (in-flight ones are acked), snapshot the rules' state,
 * stop the forwarder, stop the status server, drain the log writer and
 * close RocksDB.
 *
 * <p>The {@link Vertx} must have been built with {@code registry} as its metrics factory
 * (see {@link EdgeMain}) for {@code /metrics} to carry the {@code vertx_*} metrics.
 */
public final class EdgeNode {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeNode.class);

  private final Vertx vertx;
  private final EdgeConfig config;
  private final PrometheusMeterRegistry registry;
  private final String version;
  private final Clock clock;

  // set while starting, read after start completed
  private volatile EventLog log;
  private volatile MqttIngest mqtt;
  private volatile SourceGroup<FeedSource> feeds;
  private volatile SourceGroup<BridgeSource> bridges;
  private volatile LocalRules rules;
  private volatile StatusServer status;
  private volatile BatchForwarder forwarder;
  private volatile HeartbeatSender heartbeat;
  private volatile ManagedConfig managed;
  private Future<Void> started;
  private Future<Void> stopped;

  public EdgeNode(Vertx vertx, EdgeConfig config, PrometheusMeterRegistry registry, String version, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.registry = registry;
    this.version = version;
    this.clock = clock;
    new ProcessMemoryMetrics().bindTo(registry);
  }

  /**
   * Starts every component in order. On failure, stops what was started and fails with a
   * {@link StartupException} whose message names the key at fault. Call once.
   */
  public synchronized Future<Void> start() {
    if (started != null) {
      return started;
    }
    started = vertx.executeBlocking(() -> EventLog.open(config.dbDir(), config.log(), vertx, registry))
        .recover(fail(t -> "data.dir " + config.dataDir() + ": cannot open the event log: " + t.getMessage()))
        .compose(l -> {
          log = l;
          l.retainReleased(config.logRetainReleased());
          // alerts go to the local broker's subscribers; mqtt is set before any event is evaluated
          rules = new LocalRules(vertx, config.rules(), config.nodeId(), l, (t, b) -> mqtt.publishLocal(t, b),
              registry, clock);
          if (config.rules().managed() && config.forwarder().isPresent()) {
            // rules rolled out from the cloud live next to the log and survive restarts
            rules.managedDir(config.dataDir().resolve("managed"));
            managed = new ManagedConfig(vertx, rules, config.dataDir().resolve("managed"), config.nodeId(), registry,
                clock);
          }
          return rules.start().recover(fail(t -> "rules.file: " + t.getMessage()))
              .compose(v -> managed == null ? Future.<Void>succeededFuture() : managed.load());
        })
        .compose(v -> {
          mqtt = new MqttIngest(vertx, config.mqtt(), log, registry, Clock.systemUTC(), rules);
          return mqtt.start().recover(fail(Throwable::getMessage));
        })
        .compose(v -> {
          // market-data feeds: TCP clients that keep reconnecting, so a feed that is down does not fail the start
          feeds = SourceGroup.feeds(vertx, config.feeds().stream()
              .map(f -> new FeedSource(f, log, rules, registry, Clock.systemUTC())).toList());
          return feeds.start().recover(fail(t -> "feed.*: " + t.getMessage()));
        })
        .compose(v -> {
          // MQTT bridges: upstream clients that keep reconnecting, so an upstream broker that is down does not fail the start
          bridges = SourceGroup.bridges(vertx, config.bridges().stream()
              .map(b -> new BridgeSource(b, log, rules, registry, Clock.systemUTC())).toList());
          return bridges.start().recover(fail(t -> "bridge.*: " + t.getMessage()));
        })
        .compose(v -> {
          forwarder = config.forwarder().map(fc -> new BatchForwarder(vertx, fc, log, registry)).orElse(null);
          NodeStatus nodeStatus = new NodeStatus(config.nodeId(), version, clock, log, mqtt, this::forwarderStatus,
              registry);
          LocalRules r = rules;
          SourceGroup<FeedSource> fs = feeds;
          SourceGroup<BridgeSource> bs = bridges;
          ManagedConfig mc = managed;
          Supplier<JsonObject> statusDoc = () -> nodeStatus.get().put("rules", r.status()).put("feeds", fs.status())
              .put("bridges", bs.status())
              .put("config", mc == null ? new JsonObject().put("source", "file").put("managed", false) : mc.status());
          heartbeat = forwarder == null || config.heartbeatIntervalMs() <= 0 ? null
              : new HeartbeatSender(vertx, config.forwarderConfig(), config.heartbeatIntervalMs(), statusDoc, log,
                  registry, clock).desiredConfig(mc);
          status = new StatusServer(vertx, config.httpHost(), config.httpPort(), registry, this::healthy, statusDoc)
              .route("/", new StatusPage(statusDoc))
              .route("/admin/deadletters", r.deadLetters()::handleList)
              .route("/admin/deadletters/redrive", r.deadLetters()::handleRedrive)
              .route("/admin/replay", new ReplayAdmin(() -> forwarder)::handle);
          return status.start().recover(fail(Throwable::getMessage));
        })
        .compose(v -> forwarder == null ? Future.<Void>succeededFuture()
            : forwarder.start().recover(fail(t -> "cloud forwarder (cloud.endpoints, tls.*): " + t.getMessage())))
        .compose(v -> heartbeat == null ? Future.<Void>succeededFuture() : heartbeat.start())
        .onSuccess(v -> LOG.info("[node-id: {}] started: {}", config.nodeId(), readyLine()))
        .recover(t -> shutDown().transform(ar -> Future.failedFuture(t)));
    return started;
  }

  /** Stops in reverse order; idempotent; waits for a start in progress first. */
  public synchronized Future<Void> stop() {
    Future<Void> afterStart = started == null ? Future.succeededFuture() : started.<Void>transform(ar ->
        Future.succeededFuture());
    return afterStart.compose(v -> shutDown());
  }

  private synchronized Future<Void> shutDown() {
    if (stopped != null) {
      return stopped;
    }
    LOG.info("[node-id: {}] stopping", config.nodeId());
    stopped = step(bridges == null ? null : bridges::stop, "MQTT bridges")
        .transform(ar -> step(feeds == null ? null : feeds::stop, "market-data feeds"))
        .transform(ar -> step(mqtt == null ? null : mqtt::stop, "MQTT"))
        .transform(ar -> step(rules == null ? null : rules::stop, "rules (last state snapshot)"))
        .transform(ar -> step(heartbeat == null ? null : heartbeat::stop, "heartbeat"))
        .transform(ar -> step(forwarder == null ? null : forwarder::stop, "forwarder"))
        .transform(ar -> step(status == null ? null : status::stop, "status server"))
        .transform(ar -> step(log == null ? null : () -> vertx.executeBlocking(() -> {
          log.close();
          return null;
        }), "event log"))
        .onComplete(ar -> LOG.info("[node-id: {}] stopped", config.nodeId()));
    return stopped;
  }

  private static Future<Void> step(Supplier<Future<?>> action, String what) {
    if (action == null) {
      return Future.succeededFuture();
    }
    try {
      return action.get().<Void>mapEmpty().recover(t -> {
        LOG.warn("stopping the {} failed: {}", what, t.toString());
        return Future.succeededFuture();
      });
    } catch (RuntimeException e) {
      LOG.warn("stopping the {} failed: {}", what, e.toString());
      return Future.succeededFuture();
    }
  }

  /** The one line printed once the node runs; scripts wait for its prefix. */
  public String readyLine() {
    String endpoints = config.cloudEndpoints().isEmpty() ? "none"
        : config.cloudEndpoints().stream().map(HostPort::toString).collect(Collectors.joining(","));
    int tls = mqttTlsPort();
    return "edge-node ready: node=" + config.nodeId()
        + " mqtt=" + mqttPort()
        + " mqtts=" + (tls > 0 ? String.valueOf(tls) : "off")
        + " http=" + httpPort()
        + " data=" + config.dataDir()
        + " endpoints=" + endpoints;
  }

  /** The bound plain MQTT port; 0 before start. */
  public int mqttPort() {
    return mqtt == null ? 0 : mqtt.actualPort();
  }

  /** The bound MQTT TLS port; 0 when off. */
  public int mqttTlsPort() {
    return mqtt == null ? 0 : mqtt.actualTlsPort();
  }

  /** The bound status HTTP port; 0 before start. */
  public int httpPort() {
    return status == null ? 0 : status.actualPort();
  }

  /** The event log; null before start. */
  public EventLog log() {
    return log;
  }

  /** The local rules; null before start. */
  public LocalRules rules() {
    return rules;
  }

  /** The MQTT ingest; null before start. */
  public MqttIngest mqtt() {
    return mqtt;
  }

  /** UP while the log is open and its group commits succeed (DOWN on a full disk until RocksDB resumes). */
  private boolean healthy() {
    EventLog l = log;
    return l != null && l.isOpen() && l.writeError() == null;
  }

  private JsonObject forwarderStatus() {
    BatchForwarder f = forwarder;
    if (f == null) {
      return new JsonObject().put("state", "disabled").put("reason", "no cloud.endpoints");
    }
    return f.status();
  }

  private static <T> Function<Throwable, Future<T>> fail(Function<Throwable, String> message) {
    return t -> Future.failedFuture(t instanceof StartupException ? t : new StartupException(message.apply(t), t));
  }
}
