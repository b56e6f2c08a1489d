package io.edgesync.cloud.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.testkit.CloudTestEnv;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.edgesync.testsupport.PrometheusText;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet view against a real cloud-ingest (in-process Kafka broker, HTTP/2 + mTLS with the
 * OpenSSL engine): heartbeats and their identity check, the JSON API, the SSE stream, the page,
 * and /metrics as Prometheus text with the documented names and exact counts.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DashboardApiTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static CloudTestEnv env;
  static TestPki pki;
  static CloudIngest cloud;
  static Vertx vertx;
  static HttpClientAgent http;

  @BeforeAll
  static void startCloud() {
    env = CloudTestEnv.start(tmp);
    pki = env.pki();
    cloud = env.startCloud(Map.of());
    vertx = Vertx.vertx();
    http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(cloud.httpPort()));
  }

  @AfterAll
  static void stopCloud() {
    if (vertx != null) {
      TestCloud.await(vertx.close(), WAIT);
    }
    if (env != null) {
      env.close();
    }
  }

  private record Reply(int status, String contentType, Buffer body) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  private static Reply get(String uri) {
    // issued from a Vert.x context (requests from the JUnit thread were seen to stall in the pool)
    Promise<Reply> p = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> http.request(HttpMethod.GET, uri).compose(r -> r.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b)))
        .onComplete(p));
    return TestCloud.await(p.future(), WAIT);
  }

  /** POST /v1/heartbeat over HTTP/2 + mTLS with the certificate of {@code certNode}. */
  private static Reply heartbeat(String certNode, JsonObject body) {
    return heartbeat(certNode, body.toBuffer());
  }

  private static Reply heartbeat(String certNode, Buffer body) {
    TestPki.Creds creds = pki.node(certNode);
    HttpClientAgent c = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2).setSslEngineOptions(new OpenSSLEngineOptions())
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.caCert().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(creds.cert().toString())
            .setKeyPath(creds.key().toString()))
        .setVerifyHost(true).setDefaultHost("localhost").setDefaultPort(cloud.ingestPort()));
    try {
      // issued from a Vert.x context, as an edge does (see IngestClient)
      Promise<Reply> p = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> c.request(new RequestOptions().setMethod(HttpMethod.POST)
              .setURI("/v1/heartbeat").putHeader("content-type", "application/json"))
          .compose(req -> req.send(body))
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("content-type"), b)))
          .onComplete(p));
      return TestCloud.await(p.future(), WAIT);
    } finally {
      c.close();
    }
  }

  private static JsonObject hb(String node, long backlog) {
    return new JsonObject().put("nodeId", node).put("version", "9.9.9").put("configVersion", "cafe00112233")
        .put("intervalMs", 1000).put("sentAt", System.currentTimeMillis()).put("uptimeSeconds", 42)
        .put("link", new JsonObject().put("state", "up").put("endpoint", "localhost:" + cloud.ingestPort()))
        .put("backlog", new JsonObject().put("events", backlog).put("bytes", backlog * 200).put("oldestAgeMs", 1500))
        .put("rates", new JsonObject().put("inPerSec", 120.5).put("outPerSec", 118.0))
        .put("totals", new JsonObject().put("deadLetters", 3).put("ruleHits", 7).put("alerts", 1))
        .put("mqtt", new JsonObject().put("connections", 5));
  }

  private static JsonObject nodeOf(JsonArray nodes, String id) {
    for (Object o : nodes) {
      if (id.equals(((JsonObject) o).getString("nodeId"))) {
        return (JsonObject) o;
      }
    }
    return null;
  }

  @Test
  void aHeartbeatForAnotherNodeIsRefusedWith403AndNotRecorded() {
    Reply r = heartbeat("hb-liar", hb("hb-victim", 10));
    assertEquals(403, r.status());
    assertEquals("NODE_MISMATCH", r.json().getString("error"));
    assertEquals(404, get("/api/nodes/hb-victim").status());
    assertNull(nodeOf(get("/api/nodes").json().getJsonArray("nodes"), "hb-victim"));
    Reply bad = heartbeat("hb-liar", Buffer.buffer("not json"));
    assertEquals(400, bad.status());
    assertEquals("BAD_HEARTBEAT", bad.json().getString("error"));
    assertEquals(413, heartbeat("hb-liar", Buffer.buffer(new byte[FleetRegistry.MAX_HEARTBEAT_BYTES + 1])).status());
  }

  @Test
  void aHeartbeatIsAnsweredWithTheServerTimeAndShowsInTheApi() {
    long before = System.currentTimeMillis();
    Reply r = heartbeat("hb-1", hb("hb-1", 250));
    assertEquals(200, r.status());
    long serverTime = r.json().getLong("serverTime");
    assertTrue(serverTime >= before && serverTime <= System.currentTimeMillis(), "serverTime " + serverTime);

    JsonObject n = get("/api/nodes/hb-1").json();
    assertEquals("online", n.getString("state"));
    assertEquals("up", n.getString("link"));
    assertEquals("9.9.9", n.getString("version"));
    assertEquals("cafe00112233", n.getString("configVersion"));
    assertEquals(250, n.getJsonObject("backlog").getLong("events"));
    assertEquals(50_000, n.getJsonObject("backlog").getLong("bytes"));
    assertFalse(n.getJsonObject("backlog").getBoolean("estimated"));
    assertEquals(120.5, n.getDouble("eventsInPerSec"));
    assertEquals(3, n.getLong("deadLetters"));
    assertEquals(7, n.getLong("ruleHits"));
    assertEquals(5, n.getInteger("mqttConnections"));
    assertEquals(1000, n.getLong("heartbeatIntervalMs"));
    assertNotNull(n.getLong("clockOffsetMs"));
    assertNotNull(nodeOf(get("/api/nodes").json().getJsonArray("nodes"), "hb-1"));
    // 3 intervals (3 s) without contact: offline, backlog extrapolated from 120.5 events/s
    Poll.until(() -> "offline".equals(get("/api/nodes/hb-1").json().getString("state")), WAIT, "hb-1 goes offline");
    JsonObject off = get("/api/nodes/hb-1").json();
    assertTrue(off.getJsonObject("backlog").getBoolean("estimated"));
    assertTrue(off.getJsonObject("backlog").getLong("events") >= 250 + 3 * 120, off.encode());
  }

  @Test
  void committedBatchesGiveLagSamplesCountsAndAlerts() {
    String node = "lag-1";
    try (IngestClient c = new IngestClient(vertx, cloud.ingestPort(), pki.node(node), pki.caCert())) {
      for (int i = 0; i < 3; i++) {
        assertEquals(200, TestCloud.await(c.post(Frames.batch(node, 1 + i * 100L, 100)), WAIT).status());
      }
      // one alert in the critical class, as the edge's rules write it
      String alert = "{\"ruleId\":\"over-temp\",\"severity\":\"critical\",\"source\":\"dev-3\",\"topic\":\"sensors/dev-3/temp\"}";
      long t = System.currentTimeMillis() - 250;
      byte[] env = EnvelopeCodec.encode(new Event(2000, 1, Priority.CRITICAL, "rule:over-temp", "alerts/over-temp",
          null, t, t, alert.getBytes(StandardCharsets.UTF_8), EventKind.ALERT, null));
      assertEquals(200, TestCloud.await(c.post(Frames.frame(node, Priority.CRITICAL, 1, List.of(env))), WAIT).status());
    }
    JsonObject n = get("/api/nodes/" + node).json();
    assertEquals(301, n.getLong("eventsWritten"));
    assertEquals(4, n.getLong("batches"));
    assertEquals(300, n.getJsonObject("committed").getLong("normal"));
    assertEquals(1, n.getLong("alertsWritten"));
    JsonObject lag = n.getJsonObject("lagMs");
    // 100 events per batch: stride 1, every event sampled; plus the alert
    assertEquals(301, lag.getInteger("samples"));
    assertTrue(lag.getLong("p95") >= lag.getLong("p50"));
    assertTrue(lag.getLong("last") >= 250, "alert lag " + lag.getLong("last"));

    JsonArray alerts = get("/api/alerts").json().getJsonArray("alerts");
    JsonObject a = alerts.getJsonObject(0);
    assertEquals(node, a.getString("nodeId"));
    assertEquals("over-temp", a.getString("ruleId"));
    assertEquals("critical", a.getString("severity"));
    assertEquals("dev-3", a.getString("source"));
    assertEquals(301, KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.EVENTS, node, 300).size()
        + KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.ALERTS, node, 1).size());
  }

  @Test
  void theStreamPushesASnapshotEverySecond() {
    heartbeat("sse-1", hb("sse-1", 5));
    List<JsonObject> snapshots = new CopyOnWriteArrayList<>();
    StringBuilder pending = new StringBuilder();
    String[] contentType = new String[1];
    HttpClientAgent sse = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(cloud.httpPort()));
    vertx.getOrCreateContext().runOnContext(v -> sse.request(HttpMethod.GET, "/api/stream").compose(r -> r.send())
        .onSuccess(resp -> {
      contentType[0] = resp.getHeader("content-type");
      resp.handler(chunk -> {
        synchronized (pending) {
          pending.append(chunk.toString(StandardCharsets.UTF_8));
          int end;
          while ((end = pending.indexOf("\n\n")) >= 0) {
            String event = pending.substring(0, end);
            pending.delete(0, end + 2);
            for (String line : event.split("\n")) {
              if (line.startsWith("data: ")) {
                snapshots.add(new JsonObject(line.substring(6)));
              }
            }
          }
        }
      });
    }));
    long t0 = System.nanoTime();
    Poll.until(() -> snapshots.size() >= 3, WAIT, "3 snapshots arrive");
    long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(contentType[0].startsWith("text/event-stream"), contentType[0]);
    assertTrue(elapsedMs >= 900, "the first at once, then one per second: " + elapsedMs + " ms");
    JsonObject last = snapshots.get(snapshots.size() - 1);
    assertNotNull(nodeOf(last.getJsonArray("nodes"), "sse-1"));
    JsonObject fleet = last.getJsonObject("fleet");
    assertTrue(fleet.getInteger("nodes") >= 1);
    assertFalse(fleet.getJsonArray("history").isEmpty());
    assertTrue(last.getLong("serverTime") > snapshots.get(0).getLong("serverTime"));
    TestCloud.await(sse.close(), WAIT);
  }

  @Test
  void thePageAndItsAssetsAreServed() {
    Reply page = get("/");
    assertEquals(200, page.status());
    assertTrue(page.contentType().startsWith("text/html"), page.contentType());
    String html = page.body().toString();
    assertTrue(html.contains("id=\"fleet-rate\"") && html.contains("id=\"node-rows\"")
        && html.contains("src=\"app.js\""), html);
    assertFalse(html.contains("http://") || html.contains("https://"), "no CDN or external resource");
    Reply js = get("/app.js");
    assertEquals(200, js.status());
    assertTrue(js.body().toString().contains("new EventSource('/api/stream')"));
    assertEquals(200, get("/app.css").status());
  }

  @Test
  void metricsAreValidPrometheusTextWithEveryDocumentedNameAndExactCounts() throws Exception {
    String node = "metrics-1";
    double writtenBefore = cloud.registry().find("cloud_events_written").counter().count();
    try (IngestClient c = new IngestClient(vertx, cloud.ingestPort(), pki.node(node), pki.caCert())) {
      for (int i = 0; i < 5; i++) {
        assertEquals(200, TestCloud.await(c.post(Frames.batch(node, 1 + i * 40L, 40)), WAIT).status());
      }
      // a duplicate: acknowledged, not written
      assertEquals(200, TestCloud.await(c.post(Frames.batch(node, 1, 40)), WAIT).status());
    }
    heartbeat(node, hb(node, 0));
    Reply r = get("/metrics");
    assertEquals(200, r.status());
    List<PrometheusText.Sample> samples = PrometheusText.parse(r.body().toString());
    List<String> missing = new ArrayList<>();
    List<String> documented = PrometheusText.documented(Path.of("..", "docs", "METRICS.md"), "cloud-ingest");
    assertTrue(documented.size() >= 20, "docs/METRICS.md lists the cloud metrics: " + documented);
    for (String name : documented) {
      if (!PrometheusText.has(samples, name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "documented but not exported");
    double written = PrometheusText.sum(samples, "cloud_events_written_total", Map.of());
    assertEquals(200, written - writtenBefore, "5 batches of 40 new events; the duplicate adds none");
    assertTrue(PrometheusText.sum(samples, "cloud_heartbeats_total", Map.of("result", "ok")) >= 1);
    assertTrue(PrometheusText.has(samples, "jvm_memory_used_bytes"));
  }
}
