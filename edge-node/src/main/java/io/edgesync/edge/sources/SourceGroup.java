package io.edgesync.edge.sources;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The configured sources of one kind (market-data feeds, MQTT bridges), each deployed as its
 * own verticle (one event loop per source). Each connects, and keeps reconnecting, in the
 * background, so an upstream that is down does not fail the node's start. Started after the
 * MQTT ingest, stopped before it.
 *
 * @param <S> the source: a verticle with a name and a {@code /status} object
 */
public final class SourceGroup<S extends VerticleBase> {
  private final Vertx vertx;
  private final List<S> sources;
  private final Function<S, String> name;
  private final Function<S, JsonObject> status;
  private final List<String> deployments = new CopyOnWriteArrayList<>();

  public SourceGroup(Vertx vertx, List<S> sources, Function<S, String> name, Function<S, JsonObject> status) {
    this.vertx = vertx;
    this.sources = List.copyOf(sources);
    this.name = name;
    this.status = status;
  }

  /** The feeds of {@code feed.names}. */
  public static SourceGroup<FeedSource> feeds(Vertx vertx, List<FeedSource> feeds) {
    return new SourceGroup<>(vertx, feeds, FeedSource::name, FeedSource::status);
  }

  /** The bridges of {@code bridge.names}. */
  public static SourceGroup<BridgeSource> bridges(Vertx vertx, List<BridgeSource> bridges) {
    return new SourceGroup<>(vertx, bridges, BridgeSource::name, BridgeSource::status);
  }

  /** Deploys every source. */
  public Future<Void> start() {
    List<Future<String>> all = new ArrayList<>();
    for (S s : sources) {
      all.add(vertx.deployVerticle(s, new DeploymentOptions()).onSuccess(deployments::add));
    }
    return Future.all(all).mapEmpty();
  }

  /** Closes every source's connection (a bridge leaves unacknowledged messages upstream); idempotent. */
  public Future<Void> stop() {
    List<Future<Void>> all = new ArrayList<>();
    for (String id : deployments) {
      all.add(vertx.undeploy(id));
    }
    deployments.clear();
    return Future.join(all).mapEmpty();
  }

  /** The {@code /status} section: one object per source name. */
  public JsonObject status() {
    JsonObject o = new JsonObject();
    for (S s : sources) {
      o.put(name.apply(s), status.apply(s));
    }
    return o;
  }
}
