package io.edgesync.cloud.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout API of a real cloud-ingest (in-process Kafka, HTTP/2 + mTLS with the OpenSSL
 * engine): only an operator certificate may drive rollouts, only a node certificate may act as a
 * node; a node pulls what it should run and its failure report halts the rollout; a second
 * instance on the same Kafka serves the same state (edge.config).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RolloutApiTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String OPERATOR = "operator:alice";
  private static final String V1 = "rules:\n  - id: hot\n    when: \"payload.value > 80.0\"\n    action: alert\n";

  @TempDir
  static Path tmp;
  static TestPki pki;
  static EmbeddedKafka kafka;
  static CloudIngest cloud;
  static CloudIngest second;
  static Vertx vertx;

  @BeforeAll
  static void startCloud() {
    pki = TestPki.create(tmp.resolve("pki"));
    kafka = new EmbeddedKafka(new EmbeddedKafka.Options(tmp.resolve("kafka"), 0, 0));
    kafka.start();
    cloud = TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve("data"),
        Map.of("kafka.transactionalId", "ingest-a")));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopCloud() {
    if (vertx != null) {
      TestCloud.await(vertx.close(), WAIT);
    }
    for (CloudIngest c : new CloudIngest[] {second, cloud}) {
      if (c != null) {
        TestCloud.await(c.stop(), WAIT);
      }
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  private record Reply(int status, Buffer body) {
    JsonObject json() {
      return body.length() == 0 ? null : body.toJsonObject();
    }
  }

  /** One request over HTTP/2 + mTLS with the certificate whose CN is {@code cn}. */
  private static Reply call(CloudIngest target, String cn, HttpMethod method, String uri, JsonObject body) {
    TestPki.Creds creds = pki.node(cn);
    HttpClientAgent c = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2).setSslEngineOptions(new OpenSSLEngineOptions())
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.caCert().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(creds.cert().toString())
            .setKeyPath(creds.key().toString()))
        .setVerifyHost(true).setDefaultHost("localhost").setDefaultPort(target.ingestPort()));
    try {
      Promise<Reply> p = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> c.request(new RequestOptions().setMethod(method).setURI(uri)
              .putHeader("content-type", "application/json"))
          .compose(req -> body == null ? req.send() : req.send(body.toBuffer()))
          .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b)))
          .onComplete(p));
      return TestCloud.await(p.future(), WAIT);
    } finally {
      c.close();
    }
  }

  private static Reply call(String cn, HttpMethod method, String uri, JsonObject body) {
    return call(cloud, cn, method, uri, body);
  }

  private static JsonObject heartbeat(String node, JsonObject config) {
    return new JsonObject().put("nodeId", node).put("intervalMs", 1000).put("sentAt", System.currentTimeMillis())
        .put("config", config);
  }

  @Test
  void onlyOperatorsDriveRolloutsNodesPullTheirConfigAndACanaryFailureHaltsOnEveryInstance() {
    JsonObject start = new JsonObject().put("group", "lab").put("nodes", new JsonArray().add("edge-2").add("edge-1"))
        .put("rules", V1).put("canary", "50%");

    // GIVEN a node certificate: every rollout endpoint is refused with 403, nothing is started
    Reply refused = call("edge-1", HttpMethod.POST, "/v1/rollouts", start);
    assertEquals(403, refused.status());
    assertEquals("NOT_OPERATOR", refused.json().getString("error"));
    assertEquals(403, call("edge-1", HttpMethod.GET, "/v1/rollouts", null).status());
    assertEquals(403, call("edge-1", HttpMethod.POST, "/v1/rollouts/lab/promote", null).status());
    assertEquals(204, call("edge-1", HttpMethod.GET, "/v1/config", null).status(), "no rollout yet");

    // WHEN an operator starts a rollout
    Reply started = call(OPERATOR, HttpMethod.POST, "/v1/rollouts", start);

    // THEN it is in its canary stage with the first node by id as the canary
    assertEquals(201, started.status(), started.body().toString());
    JsonObject s = started.json();
    assertEquals("canary", s.getString("stage"));
    assertEquals(new JsonArray().add("edge-1"), s.getJsonArray("canary"));
    assertEquals(Rollout.versionOf(V1), s.getString("version"));
    assertEquals("local", s.getString("previousVersion"));
    assertEquals(2, s.getJsonObject("counts").getInteger("pending"));
    // a second rollout of the same group while this one runs is a conflict
    Reply conflict = call(OPERATOR, HttpMethod.POST, "/v1/rollouts", start.copy().put("rules", V1 + "#2\n"));
    assertEquals(409, conflict.status());
    // an operator certificate cannot act as a node
    Reply asNode = call(OPERATOR, HttpMethod.POST, "/v1/heartbeat", heartbeat("edge-1", null));
    assertEquals(403, asNode.status());
    assertEquals("OPERATOR_AS_NODE", asNode.json().getString("error"));

    // AND the canary's heartbeat reply names its desired config, which it pulls with its own certificate
    Reply hb = call("edge-1", HttpMethod.POST, "/v1/heartbeat", heartbeat("edge-1", null));
    assertEquals(200, hb.status());
    String canaryId = hb.json().getJsonObject("config").getString("id");
    assertEquals("lab/1/" + Rollout.versionOf(V1) + "+-", canaryId);
    JsonObject desired = call("edge-1", HttpMethod.GET, "/v1/config", null).json();
    assertEquals(canaryId, desired.getString("id"));
    assertEquals(V1, desired.getJsonObject("active").getString("rules"));
    assertNull(desired.getValue("shadow"));
    JsonObject other = call("edge-2", HttpMethod.GET, "/v1/config", null).json();
    assertEquals("local", other.getJsonObject("active").getString("source"), "the other node keeps its own file");
    assertEquals(204, call("edge-9", HttpMethod.GET, "/v1/config", null).status(), "not in the group");
    assertNull(call("edge-9", HttpMethod.POST, "/v1/heartbeat", heartbeat("edge-9", null)).json().getValue("config"));

    // WHEN the other node reports applied and the canary reports it failed to apply
    call("edge-2", HttpMethod.POST, "/v1/heartbeat", heartbeat("edge-2", new JsonObject()
        .put("id", other.getString("id")).put("result", "applied").put("active", "local")));
    call("edge-1", HttpMethod.POST, "/v1/heartbeat", heartbeat("edge-1", new JsonObject().put("id", canaryId)
        .put("result", "failed").put("error", "rules.yaml:3: rule hot: bad CEL").put("active", "local")));

    // THEN the rollout halts, naming the node and its error
    Poll.until(() -> "halted".equals(status(cloud).getString("stage")), WAIT, "the rollout halts");
    JsonObject halted = status(cloud);
    assertEquals("edge-1", halted.getJsonObject("halted").getString("node"));
    assertEquals("rules.yaml:3: rule hot: bad CEL", halted.getJsonObject("halted").getString("error"));
    assertEquals(1, halted.getJsonObject("counts").getInteger("failed"));
    assertEquals(1, halted.getJsonObject("counts").getInteger("applied"));
    assertEquals(409, call(OPERATOR, HttpMethod.POST, "/v1/rollouts/lab/promote", null).status());
    assertTrue(cloud.registry().scrape().contains("cloud_rollout_transitions_total{action=\"halt\"} 1.0"));

    // AND a second instance on the same Kafka serves the same state (edge.config), and can roll it back
    second = TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve("data-b"),
        Map.of("kafka.transactionalId", "ingest-b")));
    assertEquals("halted", status(second).getString("stage"));
    Reply back = call(second, OPERATOR, HttpMethod.POST, "/v1/rollouts/lab/rollback", null);
    assertEquals(200, back.status(), back.body().toString());
    assertEquals("rolled_back", back.json().getString("stage"));
    Poll.until(() -> "rolled_back".equals(status(cloud).getString("stage")), WAIT,
        "the first instance follows the rollback");
    assertEquals("lab/1/local+-", call("edge-1", HttpMethod.GET, "/v1/config", null).json().getString("id"));
    assertEquals(404, call(OPERATOR, HttpMethod.GET, "/v1/rollouts/nope", null).status());

    // WHEN edge-1 is re-enrolled into group "line" (lab's rollout is settled) THEN it follows line's rollout
    JsonObject line = new JsonObject().put("group", "line").put("nodes", new JsonArray().add("edge-1"))
        .put("rules", V1).put("canary", "1");
    assertEquals(201, call(OPERATOR, HttpMethod.POST, "/v1/rollouts", line).status());
    Poll.until(() -> call("edge-1", HttpMethod.GET, "/v1/config", null).json().getString("id").startsWith("line/1/"),
        WAIT, "edge-1 follows group line on the first instance");
    // AND it cannot be taken back into lab while line's rollout is in progress
    Reply taken = call(OPERATOR, HttpMethod.POST, "/v1/rollouts", start.copy().put("rules", V1 + "#3\n"));
    assertEquals(409, taken.status());
    assertTrue(taken.json().getString("message").contains("group line's rollout 1"), taken.body().toString());
    JsonObject all = call(OPERATOR, HttpMethod.GET, "/v1/rollouts", null).json();
    assertEquals(2, all.getJsonArray("rollouts").size());
  }

  private static JsonObject status(CloudIngest target) {
    Reply r = call(target, OPERATOR, HttpMethod.GET, "/v1/rollouts/lab", null);
    assertEquals(200, r.status(), r.body().toString());
    return r.json();
  }
}
