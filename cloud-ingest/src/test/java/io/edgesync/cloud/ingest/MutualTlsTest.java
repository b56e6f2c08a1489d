package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.testkit.CloudTestEnv;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.IngestClient.Reply;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpVersion;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may write: only fleet certificates, never revoked ones (SPEC §5, §6.5).
 *
 * <p>How a refused handshake looks to a client depends on the TLS version. With TLS 1.2 the
 * client's handshake fails: the request fails with an {@link SSLException}. With TLS 1.3 the
 * client finishes its side of the handshake before the server checks the client certificate; the
 * server's alert then closes the connection and Vert.x's HTTP/2 client reports "Connection was
 * closed". The tests check both, and the server-side count of refused handshakes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutualTlsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static CloudTestEnv env;
  static TestPki pki;
  static CloudIngest cloud;
  static Path crl;

  @BeforeAll
  static void startCloud() {
    env = CloudTestEnv.start(tmp);
    pki = env.pki();
    crl = tmp.resolve("pki/fleet.crl");
    pki.writeCrl(crl, List.of());
    cloud = env.startCloud(Map.of(
        "tls.crl", crl.toString(),
        "tls.crlPollMs", "200"));
  }

  @AfterAll
  static void stopCloud() {
    if (env != null) {
      env.close();
    }
  }

  private static int eventsOf(String node, int expected) {
    return KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.EVENTS, node, expected).size();
  }

  private static double handshakeFailures() {
    return cloud.registry().find("cloud_tls_handshake_failures").counter().count();
  }

  /** Posts one batch with a fresh client (a fresh connection) and returns the completed future. */
  private static Future<Reply> postOnce(Vertx vertx, TestPki.Creds creds, String node, long first,
      Set<String> tls) {
    try (IngestClient c = new IngestClient(vertx, cloud.ingestPort(), creds, pki.caCert(), HttpVersion.HTTP_2, tls)) {
      Future<Reply> f = c.post(Frames.batch(node, first, 10));
      Poll.until(f::isComplete, WAIT, "the request completes");
      return f;
    }
  }

  private static boolean isSslError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  @Test
  void acceptance3_clientCertificateFromAForeignCaFailsTheTlsHandshakeAndNothingIsWritten(Vertx vertx) {
    // GIVEN a certificate with CN n1 issued by a CA the cloud does not trust
    TestPki.Creds impostor = pki.foreignNode("n1");
    double refusedBefore = handshakeFailures();

    // WHEN it posts a valid batch for n1 over TLS 1.2
    Future<Reply> tls12 = postOnce(vertx, impostor, "n1", 1, Set.of("TLSv1.2"));
    // THEN the handshake fails: the request fails with an SSL error
    assertTrue(tls12.failed(), "expected a failure, got " + tls12.result());
    assertTrue(isSslError(tls12.cause()), "expected an SSL error, got " + tls12.cause());

    // WHEN it tries over TLS 1.3
    Future<Reply> tls13 = postOnce(vertx, impostor, "n1", 1, Set.of("TLSv1.3"));
    // THEN the request fails without any HTTP response
    assertTrue(tls13.failed(), "expected a failure, got " + tls13.result());

    // AND the server refused both handshakes, and nothing is written
    Poll.until(() -> handshakeFailures() >= refusedBefore + 2, WAIT, "the server counts 2 refused handshakes");
    assertEquals(0, eventsOf("n1", 0));
    assertEquals(Map.of(io.edgesync.model.Priority.CRITICAL, 0L, io.edgesync.model.Priority.NORMAL, 0L,
        io.edgesync.model.Priority.BULK, 0L), cloud.watermarks().forNode("n1"));
  }

  @Test
  void revokedNodeCertificateIsRefusedAtTheNextHandshakeOnceTheCrlFileChanges(Vertx vertx) {
    // GIVEN n2 can write
    Future<Reply> before = postOnce(vertx, pki.node("n2"), "n2", 1, Set.of("TLSv1.3"));
    assertEquals(200, before.result().status());

    // WHEN n2's certificate is revoked in the CRL file the cloud watches
    double reloads = cloud.registry().find("cloud_tls_crl_reloads").counter().count();
    pki.writeCrl(crl, List.of(pki.node("n2").serial()));
    Poll.until(() -> cloud.registry().find("cloud_tls_crl_reloads").counter().count() > reloads, WAIT,
        "the cloud reloads the CRL");

    // THEN a new n2 connection is refused at the handshake (TLS 1.2: an SSL error)
    double refusedBefore = handshakeFailures();
    Future<Reply> tls12 = postOnce(vertx, pki.node("n2"), "n2", 11, Set.of("TLSv1.2"));
    assertTrue(tls12.failed() && isSslError(tls12.cause()), "expected an SSL error, got " + tls12);
    // AND over TLS 1.3 too
    assertTrue(postOnce(vertx, pki.node("n2"), "n2", 11, Set.of("TLSv1.3")).failed());
    Poll.until(() -> handshakeFailures() >= refusedBefore + 2, WAIT, "the server counts both refused handshakes");
    assertEquals(10, eventsOf("n2", 10));

    // AND another node is still served
    assertEquals(200, postOnce(vertx, pki.node("n3"), "n3", 1, Set.of("TLSv1.3")).result().status());
  }
  @Test
  void aConnectionOpenedBeforeTheRevocationIsRefusedAtItsNextRequestAndThenClosed(Vertx vertx) {
    // GIVEN n4 wrote a batch over a connection it keeps open (an edge keeps its HTTP/2 connection for hours)
    try (IngestClient c = new IngestClient(vertx, cloud.ingestPort(), pki.node("n4"), pki.caCert(), HttpVersion.HTTP_2,
        Set.of("TLSv1.3"))) {
      assertEquals(200, completed(c.post(Frames.batch("n4", 1, 10))).result().status());

      // WHEN n4's certificate is revoked while that connection stays open
      double reloads = cloud.registry().find("cloud_tls_crl_reloads").counter().count();
      pki.writeCrl(crl, List.of(pki.node("n4").serial()));
      Poll.until(() -> cloud.registry().find("cloud_tls_crl_reloads").counter().count() > reloads, WAIT,
          "the cloud reloads the CRL");

      // THEN its next request on that connection is refused: 403 REVOKED, nothing written
      Reply refused = completed(c.post(Frames.batch("n4", 11, 10))).result();
      assertEquals(403, refused.status());
      assertEquals("REVOKED", refused.body().getString("error"));
      assertEquals(1.0, cloud.registry().find("cloud_forbidden_requests").tag("reason", "REVOKED").counter().count());
      // AND the connection is closed: the client's next request opens a new one, whose handshake is refused
      double refusedBefore = handshakeFailures();
      Poll.until(() -> completed(c.post(Frames.batch("n4", 11, 10))).failed(), WAIT,
          "a request of n4 fails on a new connection");
      Poll.until(() -> handshakeFailures() > refusedBefore, WAIT, "the server refuses n4's new handshake");
    }
    assertEquals(10, eventsOf("n4", 10));
    // AND another node is still served
    assertEquals(200, postOnce(vertx, pki.node("n5"), "n5", 1, Set.of("TLSv1.3")).result().status());
  }

  private static <T> Future<T> completed(Future<T> f) {
    Poll.until(f::isComplete, WAIT, "the request completes");
    return f;
  }
}
