package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.testing.Cli;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollout} against a stand-in for cloud-ingest's operator API (Vert.x, HTTP/2, client
 * certificates required, the OpenSSL engine): what the CLI sends (the group's unrevoked nodes,
 * the rules, the canary), the operator certificate it mints, and its one-line errors and exit codes.
 * The real API is covered by cloud-ingest's RolloutApiTest and the RolloutTest system test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RolloutCommandTest {
  @TempDir
  Path tmp;

  private Vertx vertx;
  private HttpServer server;
  private final List<JsonObject> requests = new CopyOnWriteArrayList<>();
  private volatile int status = 201;
  private volatile JsonObject answer = new JsonObject();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private int startCloud(Path cloud) throws Exception {
    server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setUseAlpn(true)
            .setSslEngineOptions(new OpenSSLEngineOptions()).setClientAuth(ClientAuth.REQUIRED)
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cloud.resolve("server.crt").toString())
                .setKeyPath(cloud.resolve("server.key").toString()))
            .setTrustOptions(new PemTrustOptions().addCertPath(cloud.resolve("ca.crt").toString())))
        .requestHandler(req -> req.body().onSuccess(b -> {
          JsonObject seen = new JsonObject().put("method", req.method().name()).put("path", req.path())
              .put("version", req.version().name()).put("body", b.length() == 0 ? null : b.toJsonObject());
          try {
            X509Certificate peer = (X509Certificate) req.connection().peerCertificates().get(0);
            seen.put("subject", peer.getSubjectX500Principal().getName())
                .put("eku", new JsonArray(peer.getExtendedKeyUsage()));
          } catch (Exception e) {
            seen.put("subject", "unreadable: " + e);
          }
          requests.add(seen);
          req.response().setStatusCode(status).putHeader("content-type", "application/json").end(answer.encode());
        }));
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return server.actualPort();
  }

  @Test
  void rolloutSendsTheGroupsUnrevokedNodesWithAnOperatorCertificateAndReportsRefusalsOnOneLine() throws Exception {
    // GIVEN a fleet with three nodes in group lab (one revoked) and one elsewhere, and a cloud
    Cli.Fleet f = Cli.fleet(tmp, "other");
    for (String id : List.of("lab-2", "lab-1", "lab-3")) {
      Cli.ok("enrol", "--dir", f.dir().toString(), "--node-id", id, "--group", "lab", "--cloud", "localhost:9443",
          "--out", tmp.resolve(id).toString());
    }
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "lab-3");
    int port = startCloud(f.cloud());
    Path rules = tmp.resolve("rules.yaml");
    Files.writeString(rules, "rules:\n  - id: hot\n    when: \"payload.value > 80.0\"\n    action: alert\n");
    answer = new JsonObject().put("group", "lab").put("rollout", 1).put("stage", "canary").put("version", "abc")
        .put("previousVersion", "local").put("canary", new JsonArray().add("lab-1"));

    // WHEN
    Cli.Result r = Cli.ok("rollout", "--dir", f.dir().toString(), "--cloud", "localhost:" + port, "--group", "lab",
        "--file", rules.toString(), "--canary", "50%", "--operator", "alice");

    // THEN one POST over HTTP/2 with the operator certificate, the nodes of lab that are not revoked
    assertEquals(1, requests.size());
    JsonObject req = requests.get(0);
    assertEquals("POST", req.getString("method"));
    assertEquals("/v1/rollouts", req.getString("path"));
    assertEquals("HTTP_2", req.getString("version"));
    assertEquals("CN=operator:alice", req.getString("subject"));
    assertEquals(new JsonArray().add("1.3.6.1.5.5.7.3.2"), req.getJsonArray("eku"), "clientAuth only");
    JsonObject body = req.getJsonObject("body");
    assertEquals("lab", body.getString("group"));
    assertEquals(List.of("lab-1", "lab-2"), body.getJsonArray("nodes").getList());
    assertEquals(Files.readString(rules), body.getString("rules"));
    assertEquals("50%", body.getString("canary"));
    assertEquals(false, body.getBoolean("shadow"));
    assertTrue(r.out().startsWith("rollout 1 of group lab: version abc (previous local), stage canary, canary lab-1"),
        r.out());

    // WHEN the cloud refuses a promote
    status = 409;
    answer = new JsonObject().put("error", "CONFLICT").put("message", "rollout 1 of group lab is halted");
    Cli.Result refused = Cli.run("rollout", "promote", "--dir", f.dir().toString(), "--cloud", "localhost:" + port,
        "--group", "lab");

    // THEN exit 1 with the cloud's reason on one line
    assertEquals(1, refused.code(), refused.toString());
    assertEquals(List.of("provisioning rollout promote: HTTP 409 CONFLICT: rollout 1 of group lab is halted"),
        refused.errLines());
    assertEquals("/v1/rollouts/lab/promote", requests.get(1).getString("path"));
  }

  @Test
  void usageErrorsAndAnUnreachableCloudAreOneLineWithTheirExitCodes() throws Exception {
    Cli.Fleet f = Cli.fleet(tmp, "n1");
    Path rules = tmp.resolve("r.yaml");
    Files.writeString(rules, "rules: []\n");

    Cli.Result noGroup = Cli.run("rollout", "--dir", f.dir().toString(), "--file", rules.toString());
    assertEquals(2, noGroup.code(), noGroup.toString());
    assertEquals(1, noGroup.errLines().size(), noGroup.toString());

    Cli.Result badCanary = Cli.run("rollout", "--dir", f.dir().toString(), "--group", "g", "--file", rules.toString(),
        "--canary", "ten");
    assertEquals(2, badCanary.code(), badCanary.toString());

    Cli.Result emptyGroup = Cli.run("rollout", "--dir", f.dir().toString(), "--group", "nobody", "--file",
        rules.toString());
    assertEquals(1, emptyGroup.code());
    assertEquals(List.of("provisioning rollout: no enrolled, unrevoked node in group nobody (enrol --group nobody)"),
        emptyGroup.errLines());

    Cli.Result unreachable = Cli.run("rollout", "status", "--dir", f.dir().toString(), "--cloud", "localhost:1");
    assertEquals(1, unreachable.code(), unreachable.toString());
    assertEquals(1, unreachable.errLines().size(), unreachable.toString());
    assertTrue(unreachable.err().startsWith("provisioning rollout status: cloud localhost:1 unreachable"),
        unreachable.err());

    for (String cmd : List.of("status", "promote", "rollback")) {
      assertEquals(0, Cli.run("rollout", cmd, "--help").code(), cmd);
    }
    assertTrue(Cli.ok("rollout", "--help").out().contains("--canary"));
  }
}
