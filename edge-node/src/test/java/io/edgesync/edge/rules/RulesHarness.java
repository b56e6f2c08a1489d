package io.edgesync.edge.rules;

import static io.edgesync.edge.testsupport.Poll.await;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.mqtt.IngestSettings;
import io.edgesync.edge.mqtt.MqttIngest;
import io.edgesync.edge.status.StatusServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A real edge without the forwarder: EventLog in a temp folder, LocalRules, MqttIngest with
 * the rules as its hook, and the status server with the admin routes. Test threads only.
 */
final class RulesHarness implements AutoCloseable {
  static final String NODE = "node-1";

  final Vertx vertx;
  final Path dbDir;
  final RulesConfig config;
  PrometheusMeterRegistry registry;
  EventLog log;
  LocalRules rules;
  MqttIngest ingest;
  StatusServer status;
  private final List<MqttAsyncClient> clients = new ArrayList<>();

  RulesHarness(Vertx vertx, Path dbDir, RulesConfig config) {
    this.vertx = vertx;
    this.dbDir = dbDir;
    this.config = config;
  }

  Path managedDir;

  /** Lets the rules accept rollouts kept in {@code dir} (set before start). */
  RulesHarness managed(Path dir) {
    this.managedDir = dir;
    return this;
  }

  RulesHarness start() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    log = EventLog.open(dbDir, new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    rules = new LocalRules(vertx, config, NODE, log, (t, b) -> ingest.publishLocal(t, b), registry,
        Clock.systemUTC());
    if (managedDir != null) {
      rules.managedDir(managedDir);
    }
    await(rules.start(), 30);
    ingest = new MqttIngest(vertx, IngestSettings.plain("127.0.0.1", 0, 262_144).withEventLoops(2), log, registry,
        Clock.systemUTC(), rules);
    await(ingest.start(), 20);
    LocalRules r = rules;
    status = new StatusServer(vertx, "127.0.0.1", 0, registry, () -> true,
        () -> new JsonObject().put("rules", r.status()))
        .route("/admin/deadletters", r.deadLetters()::handleList)
        .route("/admin/deadletters/redrive", r.deadLetters()::handleRedrive);
    await(status.start(), 20);
    return this;
  }

  MqttAsyncClient client(String clientId) throws Exception {
    MqttAsyncClient c = new MqttAsyncClient("tcp://127.0.0.1:" + ingest.actualPort(), clientId,
        new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setMaxInflight(1000);
    o.setAutomaticReconnect(false);
    c.connect(o).waitForCompletion(10_000);
    clients.add(c);
    return c;
  }

  /** Stops like EdgeNode: MQTT, rules (last snapshot), status, log. */
  void stop() throws Exception {
    for (MqttAsyncClient c : clients) {
      if (c.isConnected()) {
        c.disconnect(0).waitForCompletion(5000);
      }
      c.close();
    }
    clients.clear();
    if (ingest != null) {
      await(ingest.stop(), 20);
    }
    if (rules != null) {
      await(rules.stop(), 20);
    }
    if (status != null) {
      await(status.stop(), 20);
    }
    if (log != null) {
      log.close();
    }
    ingest = null;
    rules = null;
    status = null;
    log = null;
  }

  @Override
  public void close() throws Exception {
    stop();
  }
}
