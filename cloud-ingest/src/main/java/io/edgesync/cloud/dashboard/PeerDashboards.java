package io.edgesync.cloud.dashboard;

import io.edgesync.config.HostPort;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboards of the other instances of this tier ({@code dashboard.peers}), so that any
 * instance shows the whole fleet: an edge sends its heartbeats and batches to one instance (the
 * owner of its shard), whose view alone holds that node. Every {@link #refresh} asks each peer for
 * its own view ({@code GET /api/fleet?scope=local}: never a peer's merged one, so views do not
 * echo), at most one request per peer at a time, {@value #TIMEOUT_MS} ms timeout.
 *
 * <p>{@link #merge} joins them with this instance's view: node views by node id, the one seen
 * most recently winning (a node moves with its shard); the fleet's totals recomputed over the
 * merged nodes; the events/s histories summed point by point from the newest; alerts newest
 * first. A peer whose last answer is older than {@value #STALE_MS} ms is left out and shown as
 * down in {@code peers} ({@code cloud_dashboard_peers{state}}, {@code cloud_dashboard_peer_errors_total}).
 *
 * <p>Threads: {@link #refresh} on the dashboard's event loop; the views read from any thread.
 */
final class PeerDashboards {
  static final long STALE_MS = 5_000;
  static final long TIMEOUT_MS = 1_000;
  private static final Logger LOG = LoggerFactory.getLogger(PeerDashboards.class);

  private record Answer(JsonObject snapshot, long atMs) {}

  private final List<HostPort> peers;
  private final HttpClientAgent client;
  private final Map<HostPort, Answer> answers = new ConcurrentHashMap<>();
  private final Set<HostPort> asking = ConcurrentHashMap.newKeySet();
  /** Peers reported down (logged once per outage). */
  private final Set<HostPort> down = ConcurrentHashMap.newKeySet();
  private final Counter errors;

  PeerDashboards(Vertx vertx, List<HostPort> peers, MeterRegistry registry) {
    this.peers = List.copyOf(peers);
    // the meters exist without peers too (0), so that every documented name is always exported
    this.client = peers.isEmpty() ? null : vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    errors = Counter.builder("cloud_dashboard_peer_errors")
        .description("requests to a peer dashboard (dashboard.peers) that failed or timed out").register(registry);
    Gauge.builder("cloud_dashboard_peers", this, p -> p.live(System.currentTimeMillis()).size()).tag("state", "up")
        .description("peer dashboards (dashboard.peers) by state").register(registry);
    Gauge.builder("cloud_dashboard_peers", this, p -> p.peers.size() - p.live(System.currentTimeMillis()).size())
        .tag("state", "down").description("peer dashboards (dashboard.peers) by state").register(registry);
  }

  /** Whether {@code dashboard.peers} is empty: the views are this instance's own. */
  boolean none() {
    return peers.isEmpty();
  }

  /** Asks every peer not already being asked for its own view. */
  void refresh() {
    for (HostPort peer : peers) {
      if (!asking.add(peer)) {
        continue;
      }
      RequestOptions get = new RequestOptions().setMethod(HttpMethod.GET).setHost(peer.host()).setPort(peer.port())
          .setURI("/api/fleet?scope=local").setConnectTimeout(TIMEOUT_MS).setIdleTimeout(TIMEOUT_MS);
      client.request(get)
          .compose(req -> req.send())
          .compose(resp -> resp.statusCode() == 200 ? resp.body()
              : Future.failedFuture("HTTP " + resp.statusCode()))
          .map(body -> body.toJsonObject())
          .onComplete(ar -> {
            asking.remove(peer);
            if (ar.succeeded()) {
              answers.put(peer, new Answer(ar.result(), System.currentTimeMillis()));
              if (down.remove(peer)) {
                LOG.info("peer dashboard {} answers again", peer);
              }
            } else {
              errors.increment();
              if (down.add(peer)) {
                LOG.warn("peer dashboard {} does not answer ({}); its nodes are left out of this dashboard until it "
                    + "does", peer, ar.cause().getMessage());
              }
            }
          });
    }
  }

  /** The peers' own views answered within {@value #STALE_MS} ms. */
  List<JsonObject> live(long now) {
    List<JsonObject> out = new ArrayList<>();
    for (HostPort peer : peers) {
      Answer a = answers.get(peer);
      if (a != null && now - a.atMs() <= STALE_MS) {
        out.add(a.snapshot());
      }
    }
    return out;
  }

  /** Each peer with whether its view is in, its node count and how long ago it answered. */
  JsonArray status(long now) {
    JsonArray out = new JsonArray();
    for (HostPort peer : peers) {
      Answer a = answers.get(peer);
      boolean up = a != null && now - a.atMs() <= STALE_MS;
      out.add(new JsonObject().put("peer", peer.toString()).put("up", up)
          .put("nodes", up ? a.snapshot().getJsonArray("nodes", new JsonArray()).size() : null)
          .put("lastAnswerAgoMs", a == null ? null : now - a.atMs()));
    }
    return out;
  }

  void close() {
    if (client != null) {
      client.close();
    }
  }

  /** This instance's snapshot (see {@link FleetRegistry#snapshot}) joined with the peers'. */
  static JsonObject merge(JsonObject local, List<JsonObject> peers, int maxAlerts) {
    List<JsonArray> peerNodes = new ArrayList<>();
    List<JsonArray> histories = new ArrayList<>();
    List<JsonArray> alerts = new ArrayList<>();
    for (JsonObject p : peers) {
      peerNodes.add(p.getJsonArray("nodes", new JsonArray()));
      JsonObject f = p.getJsonObject("fleet", new JsonObject());
      histories.add(f.getJsonArray("history", new JsonArray()));
      alerts.add(p.getJsonArray("alerts", new JsonArray()));
    }
    JsonArray nodes = mergeNodes(local.getJsonArray("nodes", new JsonArray()), peerNodes);
    JsonArray history = sumHistories(local.getJsonObject("fleet", new JsonObject())
        .getJsonArray("history", new JsonArray()), histories);
    return local.copy()
        .put("fleet", FleetRegistry.fleet(nodes, history))
        .put("nodes", nodes)
        .put("alerts", mergeAlerts(local.getJsonArray("alerts", new JsonArray()), alerts, maxAlerts));
  }

  /** Node views by id, sorted; of two views of one node, the one seen most recently. */
  static JsonArray mergeNodes(JsonArray local, List<JsonArray> peers) {
    Map<String, JsonObject> byId = new TreeMap<>();
    List<JsonArray> all = new ArrayList<>();
    all.add(local);
    all.addAll(peers);
    for (JsonArray list : all) {
      for (Object o : list) {
        if (!(o instanceof JsonObject n) || n.getString("nodeId") == null) {
          continue;
        }
        byId.merge(n.getString("nodeId"), n, (a, b) -> agoMs(b) < agoMs(a) ? b : a);
      }
    }
    return new JsonArray(new ArrayList<>(byId.values()));
  }

  private static long agoMs(JsonObject node) {
    Long ago = node.getLong("lastSeenAgoMs");
    return ago == null ? Long.MAX_VALUE : ago;
  }

  /** The rates of each point summed over the histories, aligned at their newest point. */
  static JsonArray sumHistories(JsonArray local, List<JsonArray> peers) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < local.size(); i++) {
      JsonObject p = local.getJsonObject(i).copy();
      int fromEnd = local.size() - 1 - i;
      for (JsonArray h : peers) {
        int j = h.size() - 1 - fromEnd;
        if (j >= 0) {
          JsonObject q = h.getJsonObject(j);
          for (String k : List.of("inPerSec", "outPerSec", "writtenPerSec")) {
            p.put(k, Math.round((p.getDouble(k, 0.0) + q.getDouble(k, 0.0)) * 10) / 10.0);
          }
        }
      }
      out.add(p);
    }
    return out;
  }

  /** Newest first by commit time, at most {@code max}. */
  static JsonArray mergeAlerts(JsonArray local, List<JsonArray> peers, int max) {
    List<JsonObject> all = new ArrayList<>();
    local.forEach(o -> all.add((JsonObject) o));
    peers.forEach(list -> list.forEach(o -> all.add((JsonObject) o)));
    all.sort(Comparator.comparing((JsonObject a) -> a.getString("committedAt", "")).reversed());
    return new JsonArray(new ArrayList<>(all.subList(0, Math.min(max, all.size()))));
  }
}
