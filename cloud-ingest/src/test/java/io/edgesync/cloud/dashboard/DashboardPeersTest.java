package io.edgesync.cloud.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real cloud-ingest instances of one tier (one Kafka broker, one consumer group), each with
 * the other as its {@code dashboard.peers}: an edge's heartbeats reach one instance only, yet
 * either dashboard shows the whole fleet; a peer that stops is left out and shown as down.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardPeersTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static TestPki pki;
  static EmbeddedKafka kafka;
  static CloudIngest a;
  static CloudIngest b;
  static int bHttpPort;
  static Vertx vertx;
  static HttpClientAgent http;

  @BeforeAll
  static void startTwoInstances() throws IOException {
    pki = TestPki.create(tmp.resolve("pki"));
    kafka = new EmbeddedKafka(new EmbeddedKafka.Options(tmp.resolve("kafka"), 0, 0));
    kafka.start();
    bHttpPort = freePort();
    a = start("a", 0, bHttpPort);
    b = start("b", bHttpPort, a.httpPort());
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
  }

  @AfterAll
  static void stopAll() {
    if (vertx != null) {
      TestCloud.await(vertx.close(), WAIT);
    }
    for (CloudIngest c : new CloudIngest[] {b, a}) {
      if (c != null) {
        TestCloud.await(c.stop(), WAIT);
      }
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  private static CloudIngest start(String name, int httpPort, int peerPort) {
    return TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve(name), Map.of(
        "http.port", Integer.toString(httpPort),
        "dashboard.peers", "127.0.0.1:" + peerPort,
        "kafka.shards", "4",
        "kafka.sessionTimeoutMs", "6000")));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static JsonObject get(int port, String uri) {
    // issued from a Vert.x context (requests from the JUnit thread were seen to stall in the pool)
    Promise<Buffer> p = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> http.request(HttpMethod.GET, port, "127.0.0.1", uri)
        .compose(req -> req.send())
        .compose(resp -> resp.body())
        .onComplete(p));
    return TestCloud.await(p.future(), WAIT).toJsonObject();
  }

  private static Set<String> ids(JsonArray nodes) {
    Set<String> out = new HashSet<>();
    nodes.forEach(o -> out.add(((JsonObject) o).getString("nodeId")));
    return out;
  }

  private static void heartbeat(CloudIngest to, String node) {
    try (IngestClient c = new IngestClient(vertx, to.ingestPort(), pki.node(node), pki.caCert())) {
      JsonObject hb = new JsonObject().put("nodeId", node).put("version", "9.9.9").put("intervalMs", 1000)
          .put("sentAt", System.currentTimeMillis())
          .put("link", new JsonObject().put("state", "up"))
          .put("backlog", new JsonObject().put("events", 7))
          .put("rates", new JsonObject().put("inPerSec", 10.0).put("outPerSec", 10.0));
      assertEquals(200, TestCloud.await(c.heartbeat(hb), WAIT).status());
    }
  }

  @Test
  void eitherDashboardShowsTheNodesOfBothInstancesAndAStoppedPeerIsLeftOutAndShownDown() {
    // GIVEN node peer-a reports to instance A only, peer-b to instance B only
    heartbeat(a, "peer-a");
    heartbeat(b, "peer-b");

    // THEN each instance's own view holds its node only
    assertEquals(Set.of("peer-a"), ids(get(a.httpPort(), "/api/fleet?scope=local").getJsonArray("nodes")));
    assertEquals(Set.of("peer-b"), ids(get(b.httpPort(), "/api/fleet?scope=local").getJsonArray("nodes")));
    // AND either dashboard shows both, online, with the fleet's totals over both
    for (int port : new int[] {a.httpPort(), b.httpPort()}) {
      Poll.until(() -> ids(get(port, "/api/nodes").getJsonArray("nodes")).equals(Set.of("peer-a", "peer-b")), WAIT,
          "the dashboard on " + port + " shows both nodes");
      JsonObject fleet = get(port, "/api/fleet");
      assertEquals(2, fleet.getJsonObject("fleet").getInteger("nodes"), fleet.encode());
      assertEquals(2, fleet.getJsonObject("fleet").getInteger("online"), fleet.encode());
      assertEquals(14L, fleet.getJsonObject("fleet").getLong("backlogEvents"), fleet.encode());
      assertTrue(fleet.getJsonArray("peers").getJsonObject(0).getBoolean("up"), fleet.encode());
      assertEquals("online", get(port, "/api/nodes/peer-a").getString("state"));
      assertEquals("online", get(port, "/api/nodes/peer-b").getString("state"));
    }

    // WHEN instance B stops
    TestCloud.await(b.stop(), WAIT);
    b = null;

    // THEN A's dashboard leaves B's nodes out once B's last answer is stale, and shows B as down
    Poll.until(() -> !get(a.httpPort(), "/api/fleet").getJsonArray("peers").getJsonObject(0).getBoolean("up"),
        WAIT, "A shows its peer down");
    JsonObject fleet = get(a.httpPort(), "/api/fleet");
    assertEquals(Set.of("peer-a"), ids(fleet.getJsonArray("nodes")), fleet.encode());
    assertFalse(ids(get(a.httpPort(), "/api/nodes").getJsonArray("nodes")).contains("peer-b"));
    assertTrue(a.registry().find("cloud_dashboard_peer_errors").counter().count() > 0);
    assertEquals(1.0, a.registry().find("cloud_dashboard_peers").tag("state", "down").gauge().value());
  }
}
