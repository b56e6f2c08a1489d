package io.edgesync.edge.sources;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.IngestHook;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The configured MQTT bridges ({@code bridge.names}), each a {@link BridgeSource} deployed
 * as its own verticle (one event loop per bridge). Started after the MQTT ingest, stopped
 * before it.
 */
public final class BridgeSources {
  private final Vertx vertx;
  private final List<BridgeSource> bridges = new ArrayList<>();
  private final List<String> deployments = new CopyOnWriteArrayList<>();

  public BridgeSources(Vertx vertx, List<BridgeSettings> settings, EventLog log, IngestHook hook,
      MeterRegistry registry, Clock clock) {
    this.vertx = vertx;
    for (BridgeSettings s : settings) {
      bridges.add(new BridgeSource(s, log, hook, registry, clock));
    }
  }

  /** Deploys every bridge; each connects (and keeps reconnecting) in the background. */
  public Future<Void> start() {
    List<Future<String>> all = new ArrayList<>();
    for (BridgeSource b : bridges) {
      all.add(vertx.deployVerticle(b, new DeploymentOptions()).onSuccess(deployments::add));
    }
    return Future.all(all).mapEmpty();
  }

  /** Disconnects every bridge (unacknowledged messages stay upstream); idempotent. */
  public Future<Void> stop() {
    List<Future<Void>> all = new ArrayList<>();
    for (String id : deployments) {
      all.add(vertx.undeploy(id));
    }
    deployments.clear();
    return Future.join(all).mapEmpty();
  }

  /** {@code /status} "bridges": one object per bridge name. */
  public JsonObject status() {
    JsonObject o = new JsonObject();
    for (BridgeSource b : bridges) {
      o.put(b.name(), b.status());
    }
    return o;
  }
}
