package io.edgesync.edge.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.edgesync.config.HostPort;
import io.edgesync.edge.forward.CloudStub.Arrival;
import io.edgesync.edge.testsupport.TestCerts;
import io.edgesync.model.Priority;
import io.edgesync.testsupport.TcpProxy;
import io.edgesync.wire.Compression;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder against a real HTTP/2 + mutual TLS server (OpenSSL engine) that speaks
 * docs/PROTOCOL.md; only the log is a test double.
 */
@ExtendWith(VertxExtension.class)
class BatchForwarderTest {
  private static final String NODE = "node-7";
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private Vertx vertx;
  private TestCerts.Ca ca;
  private TestCerts.Leaf nodeCert;
  private TestCerts.Leaf serverCert;
  private InMemoryLog log;
  private MeterRegistry registry;
  private BatchForwarder forwarder;
  private final List<CloudStub> stubs = new ArrayList<>();

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    ca = TestCerts.ca(dir, "fleet");
    nodeCert = TestCerts.leaf(ca, dir, NODE);
    serverCert = TestCerts.server(ca, dir, "cloud", List.of("localhost"), List.of("127.0.0.1"));
    log = new InMemoryLog(NODE);
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (forwarder != null) {
      Future<Void> stop = forwarder.stop();
      assertSame(stop, forwarder.stop(), "stop is idempotent");
      stop.await(15, TimeUnit.SECONDS);
    }
    for (CloudStub s : stubs) {
      s.close().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  @Timeout(40)
  void deliversEveryClassExactlyOnceAndDrainsCriticalFirst() throws Exception {
    // GIVEN a backlog in all three classes before the forwarder starts
    log.append(Priority.BULK, 4_900, 80);
    log.append(Priority.NORMAL, 3_000, 80);
    log.append(Priority.CRITICAL, 2_000, 80);
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 500, 4, Compression.ZSTD, 50, 1_000, 5_000));

    // WHEN it starts, and 100 more critical events arrive while it drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    Thread writer = new Thread(() -> log.append(Priority.CRITICAL, 100, 80), "test-log-writer");
    writer.start();
    writer.join();
    awaitAllReleased();

    // THEN the cloud got each of the 10,000 events exactly once and the log released them all
    assertEquals(10_000, log.total());
    assertDeliveredOnce(cloud, 2_100, 3_000, 4_900);
    assertEquals(0, cloud.duplicates.get(), "no batch was resent");
    for (Priority p : Priority.values()) {
      assertEquals(0, log.stored(p), p + " left in the log");
    }
    // AND the backlog present at start went critical, then normal, then bulk
    List<CloudStub.Arrival> arrivals = new ArrayList<>(cloud.processed);
    int lastCritical = arrivals.stream().filter(a -> a.priority() == Priority.CRITICAL && a.last() <= 2_000)
        .mapToInt(CloudStub.Arrival::index).max().orElseThrow();
    int firstNormal = arrivals.stream().filter(a -> a.priority() == Priority.NORMAL)
        .mapToInt(CloudStub.Arrival::index).min().orElseThrow();
    int lastNormal = arrivals.stream().filter(a -> a.priority() == Priority.NORMAL)
        .mapToInt(CloudStub.Arrival::index).max().orElseThrow();
    int firstBulk = arrivals.stream().filter(a -> a.priority() == Priority.BULK)
        .mapToInt(CloudStub.Arrival::index).min().orElseThrow();
    assertTrue(lastCritical < firstNormal, "critical before normal: " + arrivals);
    assertTrue(lastNormal < firstBulk, "normal before bulk: " + arrivals);
    // AND the status and the metrics tell the same story (the forwarder learns of a release when
    // the worker that ran it reports back, a moment after the log itself)
    awaitCondition("the forwarder's status shows the release", () -> forwarder.status().getJsonObject("classes")
        .getJsonObject("bulk").getLong("releasedClassSeq") == 4_900);
    JsonObject status = forwarder.status();
    assertEquals("up", status.getString("link"));
    assertEquals(0, status.getInteger("inFlight"));
    assertEquals(4_900, status.getJsonObject("classes").getJsonObject("bulk").getLong("releasedClassSeq"));
    assertEquals(cloud.processed.size(), status.getJsonObject("batches").getLong("ok"));
    assertEquals(2_100, registry.get("edge.forward.events").tag("class", "critical").counter().count());
    assertEquals(10_000, registry.get("edge.forward.batch.events").summary().totalAmount());
    String scrape = ((PrometheusMeterRegistry) registry).scrape();
    for (String name : List.of("edge_forward_batches_total{result=\"ok\"}", "edge_forward_events_total{class=\"bulk\"} 4900",
        "edge_forward_batch_events_count", "edge_forward_batch_bytes_sum", "edge_forward_inflight 0",
        "edge_forward_link_up 1", "edge_forward_retries_total 0", "edge_forward_ack_seconds_count",
        "edge_e2e_seconds_bucket", "edge_e2e_percentile_seconds{quantile=\"0.99\"}")) {
      assertTrue(scrape.contains(name), name + " missing from\n" + scrape);
    }
    assertTrue(status.getJsonObject("e2eMs").getLong("p99") > 0, status.encode());
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void backsOffAfter503AndDeliversOnceWhenKafkaIsBack() throws Exception {
    // GIVEN a cloud whose Kafka is unavailable for the first three batches
    log.append(Priority.NORMAL, 1_200, 80);
    CloudStub cloud = stub(serverCert);
    cloud.fail503First = 3;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 500, 1, Compression.ZSTD, 50, 200, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN each 503 led to one backoff and retry, and every event arrived once
    assertEquals(3, cloud.status(503));
    assertEquals(3, cloud.status(200));
    assertEquals(3.0, registry.get("edge.forward.retries").counter().count());
    assertEquals(3.0, registry.get("edge.forward.batches").tag("result", "retryable").counter().count());
    assertDeliveredOnce(cloud, 0, 1_200, 0);
    assertEquals("up", forwarder.status().getString("link"));
    assertTrue(forwarder.status().getString("lastError").contains("503"), forwarder.status().encode());
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void sequenceGapResendsFromTheCommittedWatermark() throws Exception {
    // GIVEN a cloud that processes the second batch before the first (so it sees a gap once)
    log.append(Priority.NORMAL, 2_000, 80);
    CloudStub cloud = stub(serverCert);
    cloud.swapFirstTwo = true;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 250, 2, Compression.ZSTD, 50, 200, 5_000));

    // WHEN the forwarder sends two batches at once
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN the 409 (committed 0, below the batch at 251) made it resend 251.. and nothing was lost or doubled
    assertEquals(1, cloud.status(409));
    CloudStub.Arrival gap = cloud.processed.stream().filter(a -> a.status() == 409).findFirst().orElseThrow();
    assertEquals(251, gap.first());
    assertTrue(cloud.processed.stream().anyMatch(a -> a.index() > gap.index() && a.first() == 251 && a.status() == 200),
        "the gap range was resent: " + cloud.processed);
    assertEquals(1.0, registry.get("edge.forward.batches").tag("result", "gap").counter().count());
    assertEquals(0.0, registry.get("edge.forward.retries").counter().count(), "a gap is no link failure");
    assertDeliveredOnce(cloud, 0, 2_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void resumesWithoutInterventionWhenTheCloudStartsLater() throws Exception {
    // GIVEN nothing listening on the cloud's port
    log.append(Priority.CRITICAL, 300, 80);
    log.append(Priority.BULK, 700, 80);
    int port = freePort();
    forwarder = forwarder(config(List.of(local(port)), 200, 4, Compression.ZSTD, 20, 200, 5_000));
    forwarder.start().await(5, TimeUnit.SECONDS);

    // WHEN it fails a few times
    Set<String> seen = new HashSet<>();
    awaitCondition("three failed attempts", () -> {
      seen.add(forwarder.status().getString("link"));
      return registry.get("edge.forward.retries").counter().count() >= 3;
    });
    JsonObject down = forwarder.status();
    assertNotEquals("up", down.getString("link"));
    assertTrue(seen.contains("backoff"), "states seen: " + seen);
    assertNotNull(down.getString("lastError"));
    assertEquals(0, log.releaseCalls.get(), "nothing released while the cloud is away");

    // AND the cloud then comes up on that port
    CloudStub cloud = stub(serverCert);
    cloud.listen(port).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;

    // THEN delivery resumes by itself and the link is up
    awaitAllReleased();
    assertEquals("up", forwarder.status().getString("link"));
    assertDeliveredOnce(cloud, 300, 0, 700);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void failsOverToTheNextEndpointWhenTheFirstRefusesConnections() throws Exception {
    // GIVEN two endpoints, the first with nothing listening
    log.append(Priority.NORMAL, 1_000, 80);
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    HostPort dead = local(freePort());
    forwarder = forwarder(config(List.of(dead, local(port)), 250, 4, Compression.ZSTD, 20, 200, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN one failure moved it to the second endpoint, which got everything
    assertEquals(local(port).toString(), forwarder.status().getString("endpoint"));
    assertEquals(1.0, registry.get("edge.forward.retries").counter().count());
    assertEquals("up", forwarder.status().getString("link"));
    assertDeliveredOnce(cloud, 0, 1_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void movesAtOnceToTheNextEndpointWhenTheCloudAnswersNotOwner() throws Exception {
    // GIVEN two cloud instances; the first does not own this node's shard (421 to everything)
    log.append(Priority.NORMAL, 1_000, 80);
    CloudStub other = stub(serverCert);
    other.notOwner = true;
    int otherPort = other.listen(0).await(5, TimeUnit.SECONDS);
    CloudStub owner = stub(serverCert);
    int ownerPort = owner.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> owner.watermark(c) >= seq;
    // a long back-off: moving on after a 421 must not wait for it
    forwarder = forwarder(config(List.of(local(otherPort), local(ownerPort)), 250, 4, Compression.ZSTD, 5_000, 10_000,
        5_000));

    // WHEN the forwarder drains
    long t0 = System.nanoTime();
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN it moved to the owner without backing off, which got everything once; the other wrote nothing
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4), "no 5 s back-off after a 421");
    assertEquals(local(ownerPort).toString(), forwarder.status().getString("endpoint"));
    assertTrue(registry.get("edge.forward.batches").tag("result", "not_owner").counter().count() >= 1);
    assertDeliveredOnce(owner, 0, 1_000, 0);
    assertNoViolations(owner);
    assertEquals(0, other.watermark(Priority.NORMAL));
  }

  @Test
  @Timeout(30)
  void obeysTheAdmissionHintOfTheCloud() throws Exception {
    // GIVEN a cloud that admits one batch in flight at 4,000 events/s, and a slow answer (50 ms)
    log.append(Priority.NORMAL, 4_000, 80);
    CloudStub cloud = stub(serverCert);
    cloud.replyDelayMs = 50;
    cloud.admission = new JsonObject().put("maxInFlight", 1).put("maxEventsPerSec", 4_000);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 200, 4, Compression.ZSTD, 20, 200, 5_000));

    // WHEN the forwarder drains 20 batches of 200
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN once the first answer brought the hint, never more than one batch was in flight, the node
    // reports the admission in force, and everything arrived once
    List<Integer> outstanding = List.copyOf(cloud.outstandingAtArrival);
    assertEquals(20, outstanding.size());
    assertEquals(List.of(), outstanding.subList(4, outstanding.size()).stream().filter(n -> n > 1).toList(),
        "outstanding at each arrival after the first answers: " + outstanding);
    JsonObject admission = forwarder.status().getJsonObject("admission");
    assertEquals(1, admission.getInteger("maxInFlight"));
    assertEquals(4_000L, admission.getLong("maxEventsPerSec"));
    assertEquals(1.0, registry.get("edge.forward.admission.inflight").gauge().value());
    assertDeliveredOnce(cloud, 0, 4_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void capsTheCatchUpRateOfNormalAndBulkButNeverOfCritical() throws Exception {
    // GIVEN a backlog of 3,000 normal and 600 critical events, and a cap of 2,000 events/s
    log.append(Priority.NORMAL, 3_000, 80);
    log.append(Priority.CRITICAL, 600, 80);
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 200, 4, Compression.ZSTD, 20, 200, 5_000, 2_000));

    // WHEN it drains
    long t0 = System.nanoTime();
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();
    double seconds = (System.nanoTime() - t0) / 1e9;

    // THEN the normal backlog took at least (3,000 - 200) / 2,000 s (the first batch goes at once), the
    // critical events were not held back (they go first), and everything arrived once
    assertTrue(seconds >= 1.3, "3,000 normal events at <= 2,000/s drained in " + seconds + " s");
    assertTrue(registry.get("edge.forward.throttled").counter().count() >= 1);
    List<CloudStub.Arrival> arrivals = List.copyOf(cloud.processed);
    assertEquals(Priority.CRITICAL, arrivals.get(0).priority(), "critical first: " + arrivals.subList(0, 4));
    assertDeliveredOnce(cloud, 600, 3_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void neverSendsToAServerWhoseCertificateComesFromAnotherCa() throws Exception {
    // GIVEN a server presenting a certificate from a CA the node does not trust
    TestCerts.Ca rogue = TestCerts.ca(dir, "rogue");
    TestCerts.Leaf rogueCert = TestCerts.server(rogue, dir, "rogue-cloud", List.of("localhost"), List.of("127.0.0.1"));
    assertRefusesServer(rogueCert);
  }

  @Test
  @Timeout(30)
  void neverSendsToAServerWhoseCertificateNamesAnotherHost() throws Exception {
    // GIVEN a fleet-signed server certificate that is not for 127.0.0.1 (hostname verification)
    TestCerts.Leaf otherHost = TestCerts.server(ca, dir, "other-cloud", List.of("cloud.example"), List.of("10.9.9.9"));
    assertRefusesServer(otherHost);
  }

  @Test
  @Timeout(30)
  void pipelinesAtMostMaxInFlightBatchesOnOneConnection() throws Exception {
    // GIVEN a slow cloud (every answer takes 100 ms)
    log.append(Priority.NORMAL, 4_000, 80);
    CloudStub cloud = stub(serverCert);
    cloud.replyDelayMs = 100;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 200, 4, Compression.ZSTD, 50, 200, 5_000));

    // WHEN the forwarder drains 20 batches
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN it kept several, never more than 4, outstanding on one HTTP/2 connection
    assertTrue(cloud.maxOutstanding.get() <= 4, "max outstanding " + cloud.maxOutstanding.get());
    assertTrue(cloud.maxOutstanding.get() > 1, "max outstanding " + cloud.maxOutstanding.get());
    assertEquals(1, cloud.connections.get(), "one multiplexed connection");
    assertEquals(20, cloud.status(200));
    assertDeliveredOnce(cloud, 0, 4_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void sendsOnlyWhatTheLogReportsAsAppendedSoNoAnswerIsPastTheEndOfTheLog() throws Exception {
    // GIVEN a log whose reads already find 300 events that it does not report as appended yet (its
    // writer thread stopped between writing a group and publishing it, as on a busy machine)
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    log.append(Priority.NORMAL, 200, 80);
    log.appendUnpublished(Priority.NORMAL, 300, 80);
    forwarder = forwarder(config(List.of(local(port)), 1000, 4, Compression.ZSTD, 20, 100, 5_000));

    // WHEN the forwarder drains, and the group is published once the forwarder had the first answer
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("the first answer handled", () -> {
      JsonObject batches = forwarder.status().getJsonObject("batches");
      return batches.getLong("ok") + batches.getLong("failed") > 0;
    });
    log.publish(Priority.NORMAL);

    // THEN the first batch held only the 200 reported events, the 300 went once published, and
    // the class was never taken for one whose log is behind the cloud (that holds it for good)
    assertEquals(new Arrival(0, Priority.NORMAL, 1, 200, 200, 200), cloud.processed.get(0));
    awaitAllReleased();
    assertDeliveredOnce(cloud, 0, 500, 0);
    JsonObject normal = forwarder.status().getJsonObject("classes").getJsonObject("normal");
    assertNull(normal.getString("problem"), normal.encode());
    assertEquals(0.0, registry.get("edge.forward.batches").tag("result", "log_behind").counter().count());
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void aBatchReadWhileTheOneBeforeItIsReleasedIsNotTakenForAnEviction() throws Exception {
    // GIVEN two batches' worth of events, and a log whose read of the second batch goes on only
    // once the first one is answered and released (the worker read while the answer came in)
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    log.append(Priority.NORMAL, 1_000, 80);
    AtomicBoolean raced = new AtomicBoolean();
    log.beforeRead = (c, from) -> {
      if (from == 501) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.releasedClassSeq(Priority.NORMAL) < 500 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        raced.set(log.releasedClassSeq(Priority.NORMAL) == 500);
      }
    };
    forwarder = forwarder(config(List.of(local(port)), 500, 4, Compression.ZSTD, 20, 100, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN the second batch went as the next one, not with SKIP (which says that 1..500 were
    // evicted at the quota, and logs so), and everything arrived once
    assertTrue(raced.get(), "the second batch was read after the first was released");
    assertEquals(0, cloud.skips.get(), "batches sent with SKIP");
    assertDeliveredOnce(cloud, 0, 1_000, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(60)
  void keepsForwardingAfterTheCloudHungLongerThanTheRequestTimeout() throws Exception {
    // GIVEN a cloud behind a link that can stop moving bytes (a SIGSTOPped process: the
    // connection stays open, nothing is answered, nothing fails)
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", port)) {
      forwarder = forwarder(config(List.of(local(proxy.port())), 500, 4, Compression.ZSTD, 20, 100, 1_000));
      forwarder.start().await(5, TimeUnit.SECONDS);
      log.append(Priority.NORMAL, 2_000, 150);
      awaitAllReleased();

      // WHEN the cloud hangs for 3.5 request timeouts while events keep coming, then comes back
      proxy.pause();
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_500);
      while (System.nanoTime() < until) {
        log.append(Priority.NORMAL, 200, 150);
        TimeUnit.MILLISECONDS.sleep(20);
      }
      assertTrue(registry.get("edge.forward.retries").counter().count() >= 1, "the batches timed out");
      proxy.resume();
      for (int i = 0; i < 50; i++) {
        log.append(Priority.NORMAL, 200, 150);
        TimeUnit.MILLISECONDS.sleep(20);
      }

      // THEN everything is forwarded, once
      awaitAllReleased();
      assertDeliveredOnce(cloud, 0, log.lastClassSeq(Priority.NORMAL), 0);
      assertNoViolations(cloud);
    }
  }

  @Test
  @Timeout(30)
  void unansweredBatchTimesOutAndIsResent() throws Exception {
    // GIVEN a cloud that never answers the first request
    log.append(Priority.CRITICAL, 500, 80);
    CloudStub cloud = stub(serverCert);
    cloud.neverAnswer = Set.of(0);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    // (1 s: the first TLS handshake of a fresh JVM alone takes 200-400 ms here)
    forwarder = forwarder(config(List.of(local(port)), 500, 1, Compression.ZSTD, 20, 100, 1_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN the request timed out once, was reset, and the batch went again
    assertEquals(2, cloud.requests.get(), cloud.processed.toString());
    assertEquals(1.0, registry.get("edge.forward.retries").counter().count());
    assertTrue(forwarder.status().getString("lastError").contains("TimeoutException"), forwarder.status().encode());
    assertDeliveredOnce(cloud, 500, 0, 0);
    awaitCondition("the reset stream closed on the server", () -> cloud.outstanding.get() == 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void refusedBatchIsCountedAndRebuiltAfterBackoff() throws Exception {
    // GIVEN a cloud that refuses the first batch as corrupt
    log.append(Priority.NORMAL, 600, 80);
    CloudStub cloud = stub(serverCert);
    cloud.reject400At = 0;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 300, 2, Compression.ZSTD, 20, 150, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN the refusal was counted by reason and the data still arrived, once
    assertEquals(1, cloud.status(400));
    assertEquals(1.0, registry.get("edge.forward.rejected").tag("reason", "CRC_MISMATCH").counter().count());
    assertEquals(1.0, registry.get("edge.forward.batches").tag("result", "rejected").counter().count());
    assertDeliveredOnce(cloud, 0, 600, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void tooLargeAnswerHalvesTheBatchSize() throws Exception {
    // GIVEN a cloud accepting frames up to 30 kB and uncompressed batches of 500 x ~190 bytes
    log.append(Priority.BULK, 1_000, 100);
    CloudStub cloud = stub(serverCert);
    cloud.maxFrameBytes = 30_000;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 500, 1, Compression.NONE, 20, 100, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();

    // THEN two 413s halved the batches (500 -> 250 -> 125 events) and everything arrived once
    assertEquals(2, cloud.status(413));
    assertEquals(2.0, registry.get("edge.forward.rejected").tag("reason", "TOO_LARGE").counter().count());
    assertTrue(cloud.processed.stream().allMatch(a -> a.last() - a.first() + 1 <= 125), cloud.processed.toString());
    assertDeliveredOnce(cloud, 0, 0, 1_000);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void stopWaitsForTheAnswersInFlightThenSendsNothingMore() throws Exception {
    // GIVEN a slow cloud (answers after 300 ms) and more events than one round of batches
    log.append(Priority.NORMAL, 1_000, 80);
    CloudStub cloud = stub(serverCert);
    cloud.replyDelayMs = 300;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 100, 2, Compression.ZSTD, 20, 100, 5_000));
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("two batches in flight", () -> cloud.requests.get() == 2);

    // WHEN it is stopped while both wait for their answer
    forwarder.stop().await(10, TimeUnit.SECONDS);

    // THEN stop returned after both answers, whose ranges were released, and nothing else was sent
    assertEquals(2, cloud.requests.get());
    assertEquals(2, cloud.status(200));
    assertEquals(200, log.releasedClassSeq(Priority.NORMAL));
    assertEquals(800, log.stored(Priority.NORMAL));
    assertTrue(forwarder.start().failed(), "no restart after stop");
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void aHoleInTheLogHoldsBackOnlyThatClass() throws Exception {
    // GIVEN bulk events 1..100 gone from the log without the cloud having them, and normal events behind
    log.append(Priority.BULK, 500, 80);
    log.evictOldest(Priority.BULK, 100);
    log.append(Priority.NORMAL, 300, 80);
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    log.releaseGuard = (c, seq) -> cloud.watermark(c) >= seq;
    forwarder = forwarder(config(List.of(local(port)), 100, 4, Compression.ZSTD, 20, 100, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("normal released and bulk held twice", () -> log.releasedClassSeq(Priority.NORMAL) == 300
        && registry.get("edge.forward.stalls").tag("class", "bulk").counter().count() >= 2);

    // THEN normal went through, bulk was never sent (protocol v1 cannot skip 1..100) nor released
    assertDeliveredOnce(cloud, 0, 300, 0);
    assertEquals(0, log.releasedClassSeq(Priority.BULK));
    assertEquals(400, log.stored(Priority.BULK));
    assertEquals("up", forwarder.status().getString("link"));
    assertTrue(forwarder.status().getString("lastError").contains("no bulk events 1..100"), forwarder.status().encode());
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(30)
  void aLogBehindTheCloudsWatermarkIsKeptNotReleased() throws Exception {
    // GIVEN a node whose data folder was wiped: its new log holds normal 1..300, while the cloud
    // committed normal up to 1,000,000 in the node's earlier life (and has no critical watermark)
    log.append(Priority.NORMAL, 300, 80);
    log.append(Priority.CRITICAL, 50, 80);
    CloudStub cloud = stub(serverCert);
    cloud.presetWatermark(Priority.NORMAL, 1_000_000);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    forwarder = forwarder(config(List.of(local(port)), 100, 4, Compression.ZSTD, 20, 100, 5_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("critical released and normal held", () -> log.releasedClassSeq(Priority.CRITICAL) == 50
        && registry.find("edge.forward.stalls").tag("class", "normal").tag("kind", "log_behind_cloud").counters()
            .stream().anyMatch(c -> c.count() >= 1));

    // THEN the cloud took normal for duplicates (wrote none), and the forwarder kept every one of them
    assertTrue(cloud.processed.stream().anyMatch(a -> a.priority() == Priority.NORMAL && a.status() == 200),
        cloud.processed.toString());
    assertEquals(0, log.releasedClassSeq(Priority.NORMAL));
    assertEquals(300, log.stored(Priority.NORMAL));
    assertTrue(registry.get("edge.forward.batches").tag("result", "log_behind").counter().count() >= 1);
    assertTrue(forwarder.status().getString("lastError").contains("Re-enrol the node under a new id"),
        forwarder.status().encode());
    // AND the status (and so the heartbeat) names the held class and why; critical flows
    JsonObject classes = forwarder.status().getJsonObject("classes");
    assertTrue(classes.getJsonObject("normal").getString("problem").contains("this log ends at"), classes.encode());
    assertNull(classes.getJsonObject("critical").getString("problem"), classes.encode());
    assertNoViolations(cloud);
  }

  @Test
  void aClassWhoseCloudWatermarkCountsAnotherLogIsHeldNotReleasedAndGoesOnOnceTheCloudForgetsIt() throws Exception {
    // GIVEN the cloud's normal watermark counts another log's events (this data folder was
    // recreated under the same node id, or another edge uses this identity); critical has none
    log.append(Priority.NORMAL, 300, 80);
    log.append(Priority.CRITICAL, 50, 80);
    CloudStub cloud = stub(serverCert);
    cloud.presetWatermark(Priority.NORMAL, 1_000);
    cloud.epochs.put(Priority.NORMAL, 0x0dd0_0000L);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    forwarder = forwarder(config(List.of(local(port)), 100, 4, Compression.ZSTD, 20, 2_000, 1_000));

    // WHEN the forwarder drains
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("critical released and normal held", () -> log.releasedClassSeq(Priority.CRITICAL) == 50
        && registry.find("edge.forward.stalls").tag("class", "normal").tag("kind", "log_epoch").counters()
            .stream().anyMatch(c -> c.count() >= 1)
        && forwarder.status().getJsonObject("classes").getJsonObject("normal").getString("problem") != null);

    // THEN every frame carried this log's epoch, and nothing of normal was taken for a duplicate or released
    assertEquals(java.util.Set.of(log.epoch), cloud.epochsSeen);
    assertEquals(0, log.releasedClassSeq(Priority.NORMAL));
    assertEquals(300, log.stored(Priority.NORMAL));
    assertTrue(registry.get("edge.forward.batches").tag("result", "log_epoch").counter().count() >= 1);
    assertTrue(forwarder.status().getString("lastError").contains("Re-enrol the node under a new id"),
        forwarder.status().encode());
    JsonObject classes = forwarder.status().getJsonObject("classes");
    assertTrue(classes.getJsonObject("normal").getString("problem").contains("another log"), classes.encode());

    // WHEN the operator removes the node's normal watermark in the cloud
    cloud.forget(Priority.NORMAL);

    // THEN normal goes on by itself at its next try, and every event arrives once
    awaitCondition("normal released", () -> log.releasedClassSeq(Priority.NORMAL) == 300);
    assertDeliveredOnce(cloud, 50, 300, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(40)
  void forwardsAtOnceOnAnIdleLinkAndLingersOnlyBehindABatchOnItsWay() throws Exception {
    // GIVEN a linger far longer than anything below (10 s), and a cloud that answers after 1 s
    CloudStub cloud = stub(serverCert);
    cloud.replyDelayMs = 1_000;
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    forwarder = forwarder(config(List.of(local(port)), 500, 4, Compression.ZSTD, 50, 1_000, 5_000, 0,
        Duration.ofSeconds(10)));
    forwarder.start().await(5, TimeUnit.SECONDS);

    // WHEN one event arrives with nothing in flight
    long t0 = System.nanoTime();
    log.append(Priority.NORMAL, 1, 80);
    awaitCondition("the first batch sent", () -> cloud.requests.get() == 1);
    double firstSentS = (System.nanoTime() - t0) / 1e9;
    // AND a second one while that batch waits for its answer
    log.append(Priority.NORMAL, 1, 80);
    awaitAllReleased();
    double allReleasedS = (System.nanoTime() - t0) / 1e9;

    // THEN the first went at once instead of after the linger
    assertTrue(firstSentS < 5, "first batch sent after " + firstSentS + " s");
    // AND the second waited behind it (never two in flight) but not for the linger: it went with the answer
    assertEquals(1, cloud.maxOutstanding.get(), "batches in flight at once");
    assertEquals(2, cloud.requests.get());
    assertTrue(allReleasedS < 8, "both delivered after " + allReleasedS + " s (linger 10 s)");
    assertDeliveredOnce(cloud, 0, 2, 0);
    assertNoViolations(cloud);
  }

  @Test
  @Timeout(60)
  void deliversABacklogIn2000EventBatches() throws Exception {
    // GIVEN 200,000 events of ~100 bytes payload waiting
    int events = 200_000;
    log.append(Priority.NORMAL, events, 100);
    CloudStub cloud = stub(serverCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    forwarder = forwarder(config(List.of(local(port)), 2_000, 4, Compression.ZSTD, 50, 200, 10_000));

    // WHEN the forwarder drains with production-like settings
    long t0 = System.nanoTime();
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitAllReleased();
    double seconds = (System.nanoTime() - t0) / 1e9;

    // THEN everything arrived once (the rate is printed for docs/FORWARDER.md, not asserted)
    assertDeliveredOnce(cloud, 0, events, 0);
    double frameBytes = registry.get("edge.forward.batch.bytes").summary().mean();
    double ackMs = registry.get("edge.forward.ack").timer().mean(TimeUnit.MILLISECONDS);
    System.out.printf("forwarder throughput: %d events in %.2f s (first TLS handshake included) = %.0f events/s, "
        + "%d batches, mean frame %.0f bytes, mean ack %.1f ms%n",
        events, seconds, events / seconds, cloud.processed.size(), frameBytes, ackMs);
    assertNoViolations(cloud);
  }

  // ---------------------------------------------------------------- helpers

  private void assertRefusesServer(TestCerts.Leaf badServerCert) throws Exception {
    log.append(Priority.CRITICAL, 100, 80);
    CloudStub cloud = stub(badServerCert);
    int port = cloud.listen(0).await(5, TimeUnit.SECONDS);
    forwarder = forwarder(config(List.of(local(port)), 100, 4, Compression.ZSTD, 20, 100, 5_000));

    // WHEN the forwarder tries several times
    forwarder.start().await(5, TimeUnit.SECONDS);
    awaitCondition("three failed attempts", () -> registry.get("edge.forward.retries").counter().count() >= 3);

    // THEN the TLS handshake failed each time: no request reached the server, nothing was released
    JsonObject status = forwarder.status();
    assertEquals(0, cloud.requests.get());
    assertNotEquals("up", status.getString("link"));
    assertNotNull(status.getString("lastError"));
    assertEquals(0, log.releaseCalls.get());
    assertEquals(0, log.releasedClassSeq(Priority.CRITICAL));
    assertEquals(0, status.getJsonObject("classes").getJsonObject("critical").getLong("ackedClassSeq"));
    assertEquals(100, log.stored(Priority.CRITICAL));
  }

  private CloudStub stub(TestCerts.Leaf cert) {
    CloudStub s = new CloudStub(vertx, cert, ca.certPath());
    stubs.add(s);
    return s;
  }

  private BatchForwarder forwarder(ForwarderConfig config) {
    return new BatchForwarder(vertx, config, log, registry);
  }

  private ForwarderConfig config(List<HostPort> endpoints, int maxBatchEvents, int maxInFlight, Compression compression,
      long retryInitialMs, long retryMaxMs, long requestTimeoutMs) {
    return config(endpoints, maxBatchEvents, maxInFlight, compression, retryInitialMs, retryMaxMs, requestTimeoutMs, 0);
  }

  private ForwarderConfig config(List<HostPort> endpoints, int maxBatchEvents, int maxInFlight, Compression compression,
      long retryInitialMs, long retryMaxMs, long requestTimeoutMs, long maxEventsPerSec) {
    return config(endpoints, maxBatchEvents, maxInFlight, compression, retryInitialMs, retryMaxMs, requestTimeoutMs,
        maxEventsPerSec, Duration.ofMillis(20));
  }

  private ForwarderConfig config(List<HostPort> endpoints, int maxBatchEvents, int maxInFlight, Compression compression,
      long retryInitialMs, long retryMaxMs, long requestTimeoutMs, long maxEventsPerSec, Duration linger) {
    return new ForwarderConfig(NODE, endpoints, nodeCert.certPath(), nodeCert.keyPath(), ca.certPath(), maxBatchEvents,
        1 << 20, linger, maxInFlight, compression, Duration.ofMillis(retryInitialMs),
        Duration.ofMillis(retryMaxMs), Duration.ofMillis(requestTimeoutMs), maxEventsPerSec);
  }

  private void awaitAllReleased() throws InterruptedException {
    awaitCondition("the whole log released", () -> {
      for (Priority p : Priority.values()) {
        if (log.releasedClassSeq(p) != log.lastClassSeq(p)) {
          return false;
        }
      }
      return true;
    });
  }

  private static void assertDeliveredOnce(CloudStub cloud, long critical, long normal, long bulk) {
    long[] expected = {critical, normal, bulk};
    for (Priority p : Priority.values()) {
      List<Long> got;
      synchronized (cloud.delivered.get(p)) {
        got = new ArrayList<>(cloud.delivered.get(p));
      }
      List<Long> want = LongStream.rangeClosed(1, expected[p.code()]).boxed().collect(Collectors.toList());
      assertEquals(want.size(), got.size(), p + " events written");
      got.sort(null);
      assertEquals(want, got, p + " written exactly once each");
    }
    assertEquals(critical + normal + bulk, cloud.deliveredSeqs.size());
  }

  private void assertNoViolations(CloudStub cloud) {
    assertEquals(List.of(), cloud.problems, "protocol problems seen by the cloud");
    assertEquals(List.of(), log.violations, "misuse of the log");
  }

  /** Polls {@code condition} until it holds or {@link #WAIT} passes. */
  private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + WAIT + " waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  private static HostPort local(int port) {
    return new HostPort("127.0.0.1", port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
