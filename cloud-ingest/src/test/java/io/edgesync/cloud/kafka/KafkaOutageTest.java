package io.edgesync.cloud.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.IngestClient.Reply;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The broker goes away and comes back: 503 meanwhile, then exactly once again (SPEC §6.1, §6.2). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void whileKafkaIsDownBatchesGet503AndAfterItsRestartTheyAreCommittedExactlyOnce(Vertx vertx) throws Exception {
    TestPki pki = TestPki.create(tmp.resolve("pki"));
    EmbeddedKafka.Options kafkaOptions = new EmbeddedKafka.Options(tmp.resolve("kafka"), freePort(), freePort());
    EmbeddedKafka kafka = new EmbeddedKafka(kafkaOptions);
    kafka.start();
    String bootstrap = kafka.bootstrap();
    CloudIngest cloud = TestCloud.start(TestCloud.config(pki, bootstrap, tmp.resolve("data"), Map.of(
        "kafka.timeoutMs", "3000",
        "kafka.retryInitialMs", "100",
        "kafka.retryMaxMs", "1000")));
    try (IngestClient n1 = new IngestClient(vertx, cloud.ingestPort(), pki.node("n1"), pki.caCert())) {
      // GIVEN 1..100 committed
      assertEquals(200, TestCloud.await(n1.post(Frames.batch("n1", 1, 100)), WAIT).status());

      // WHEN the broker stops
      kafka.close();

      // THEN the next batch is refused with 503 (nothing visible), and the writer is not ready
      Reply down = TestCloud.await(n1.post(Frames.batch("n1", 101, 100)), WAIT);
      assertEquals(503, down.status(), down.body().encode());
      assertEquals("KAFKA_UNAVAILABLE", down.body().getString("error"));
      assertTrue(cloud.registry().find("cloud_kafka_errors").counters().stream()
          .mapToDouble(c -> c.count()).sum() >= 1);

      // WHEN the broker comes back on the same data and ports
      kafka = new EmbeddedKafka(kafkaOptions);
      kafka.start();

      // THEN the edge's retries succeed, and the writer re-created its producer
      Poll.until(() -> {
        Reply r = TestCloud.await(n1.post(Frames.batch("n1", 101, 100)), WAIT);
        return r.status() == 200;
      }, Duration.ofSeconds(60), "a retried batch is committed");
      Reply replay = TestCloud.await(n1.post(Frames.batch("n1", 101, 100)), WAIT);
      assertEquals(200L, replay.body().getLong("committedClassSeq"));
      assertEquals(0, replay.body().getInteger("written"));
      assertTrue(cloud.registry().find("cloud_kafka_producer_restarts").counter().count() >= 1);
    } finally {
      TestCloud.await(cloud.stop(), WAIT);
    }
    // AND Kafka holds each event exactly once
    try {
      var records = KafkaTopics.awaitForNode(bootstrap, TopicSetup.EVENTS, "n1", 200);
      assertEquals(200, records.size());
      assertEquals(200, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
    } finally {
      kafka.close();
    }
  }
}
