package io.edgesync.provisioning.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.testing.Cli;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundles in the stack the product runs: Vert.x with the OpenSSL (BoringSSL) engine, PEM
 * options straight from the bundle files, client auth required and the fleet CRL loaded as
 * cloud-ingest loads {@code tls.crl}.
 */
@Timeout(60)
class VertxOpenSslMutualTlsTest {
  @TempDir
  Path tmp;

  private Vertx vertx;
  private final List<String> acceptedPeers = new CopyOnWriteArrayList<>();
  private final List<Throwable> rejected = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    assertTrue(OpenSsl.isAvailable(), "netty-tcnative must load: " + OpenSsl.unavailabilityCause());
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    get(vertx.close());
  }

  @Test
  void aRevokedNodeIsRejectedByAServerThatLoadsTheFleetCrl() throws Exception {
    // GIVEN two enrolled nodes, the second revoked, and a server started with the fleet CRL
    Cli.Fleet f = Cli.fleet(tmp, "edge-1", "edge-2");
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-2");
    NetServer server = startServer(serverSsl(f.cloud(), f.dir().resolve("crl.pem")));

    // WHEN both connect
    String good = exchange(f.nodes().get(0), server.actualPort());
    String revoked = exchange(f.nodes().get(1), server.actualPort());

    // THEN only the live node gets through
    assertEquals("echo:ping", good);
    assertFalse(revoked.startsWith("echo"), revoked);
    assertEquals(List.of("CN=edge-1"), acceptedPeers);
    awaitRejection("Certificate revoked");
  }

  @Test
  void aServerThatReloadsItsTlsOptionsSeesALaterRevocation() throws Exception {
    // GIVEN a running server with the fleet CRL, and a node it accepts
    Cli.Fleet f = Cli.fleet(tmp, "edge-1");
    ServerSSLOptions ssl = serverSsl(f.cloud(), f.dir().resolve("crl.pem"));
    NetServer server = startServer(ssl);
    assertEquals("echo:ping", exchange(f.nodes().get(0), server.actualPort()));

    // WHEN the node is revoked in the fleet folder and the server reloads its TLS options
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-1");
    assertTrue(get(server.updateSSLOptions(ssl.copy(), true)), "options updated");

    // THEN its next connection is refused
    String after = exchange(f.nodes().get(0), server.actualPort());
    assertFalse(after.startsWith("echo"), after);
    assertEquals(List.of("CN=edge-1"), acceptedPeers);
    awaitRejection("Certificate revoked");
  }

  @Test
  void aNodeOfAnotherFleetIsRejected() throws Exception {
    Cli.Fleet ours = Cli.fleet(tmp.resolve("ours"));
    Cli.Fleet theirs = Cli.fleet(tmp.resolve("theirs"), "edge-1");
    NetServer server = startServer(serverSsl(ours.cloud(), ours.dir().resolve("crl.pem")));

    String outcome = exchange(theirs.nodes().get(0), ours.cloud().resolve("ca.crt"), server.actualPort());

    assertFalse(outcome.startsWith("echo"), outcome);
    assertEquals(List.of(), acceptedPeers);
    awaitRejection("PKIX");
  }

  private static ServerSSLOptions serverSsl(Path cloud, Path crl) {
    return new ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(cloud.resolve("server.key").toString())
            .setCertPath(cloud.resolve("server.crt").toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(cloud.resolve("ca.crt").toString()))
        .setClientAuth(ClientAuth.REQUIRED)
        .addCrlPath(crl.toString());
  }

  private NetServer startServer(ServerSSLOptions ssl) throws Exception {
    NetServerOptions options = new NetServerOptions().setSsl(true).setSslEngineOptions(new OpenSSLEngineOptions());
    options.setKeyCertOptions(ssl.getKeyCertOptions()).setTrustOptions(ssl.getTrustOptions())
        .setClientAuth(ssl.getClientAuth());
    ssl.getCrlPaths().forEach(options::addCrlPath);
    NetServer server = vertx.createNetServer(options);
    server.exceptionHandler(rejected::add);
    server.connectHandler(socket -> {
      try {
        acceptedPeers.add(((java.security.cert.X509Certificate) socket.peerCertificates().get(0))
            .getSubjectX500Principal().getName());
      } catch (Exception e) {
        rejected.add(e);
      }
      socket.handler(socket::write);
    });
    return get(server.listen(0, "127.0.0.1"));
  }

  private String exchange(Path node, int port) throws Exception {
    return exchange(node, node.resolve("ca.crt"), port);
  }

  /** Connects as {@code node} (hostname verification on), sends "ping"; "echo:..." on success, else what happened. */
  private String exchange(Path node, Path trustedCa, int port) throws Exception {
    NetClient client = vertx.createNetClient(new NetClientOptions().setSsl(true)
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setHostnameVerificationAlgorithm("HTTPS")
        .setConnectTimeout(10_000)
        .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(node.resolve("node.key").toString())
            .setCertPath(node.resolve("node.crt").toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(trustedCa.toString())));
    Promise<String> outcome = Promise.promise();
    client.connect(port, "localhost").onComplete(ar -> {
      if (ar.failed()) {
        outcome.tryComplete("connect failed: " + ar.cause());
        return;
      }
      ar.result().handler(buf -> outcome.tryComplete("echo:" + buf));
      ar.result().closeHandler(v -> outcome.tryComplete("closed"));
      ar.result().exceptionHandler(t -> outcome.tryComplete("error: " + t));
      ar.result().write(Buffer.buffer("ping"));
    });
    try {
      return get(outcome.future());
    } finally {
      get(client.close());
    }
  }

  /** Waits until the server reported a failed handshake whose cause chain mentions {@code reason}. */
  private void awaitRejection(String reason) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (rejected.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(1, rejected.size(), "one failed handshake: " + rejected);
    StringBuilder chain = new StringBuilder();
    for (Throwable t = rejected.get(0); t != null; t = t.getCause()) {
      chain.append(t).append(" <- ");
    }
    assertTrue(chain.toString().contains(reason), chain.toString());
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
