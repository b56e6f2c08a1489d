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
 * The configured market-data feeds ({@code feed.names}), each a {@link FeedSource}
 * deployed as its own verticle (one event loop per feed). Started after the MQTT ingest,
 * stopped before it.
 */
public final class FeedSources {
  private final Vertx vertx;
  private final List<FeedSource> feeds = new ArrayList<>();
  private final List<String> deployments = new CopyOnWriteArrayList<>();

  public FeedSources(Vertx vertx, List<FeedSettings> settings, EventLog log, IngestHook hook, MeterRegistry registry,
      Clock clock) {
    this.vertx = vertx;
    for (FeedSettings s : settings) {
      feeds.add(new FeedSource(s, log, hook, registry, clock));
    }
  }

  /** Deploys every feed; each connects (and keeps reconnecting) in the background. */
  public Future<Void> start() {
    List<Future<String>> all = new ArrayList<>();
    for (FeedSource f : feeds) {
      all.add(vertx.deployVerticle(f, new DeploymentOptions()).onSuccess(deployments::add));
    }
    return Future.all(all).mapEmpty();
  }

  /** Closes every feed connection; idempotent. */
  public Future<Void> stop() {
    List<Future<Void>> all = new ArrayList<>();
    for (String id : deployments) {
      all.add(vertx.undeploy(id));
    }
    deployments.clear();
    return Future.join(all).mapEmpty();
  }

  /** {@code /status} "feeds": one object per feed name. */
  public JsonObject status() {
    JsonObject o = new JsonObject();
    for (FeedSource f : feeds) {
      o.put(f.name(), f.status());
    }
    return o;
  }

  public boolean isEmpty() {
    return feeds.isEmpty();
  }
}
