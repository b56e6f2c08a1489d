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
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away and comes back: 503 meanwhile, then exactly once again (SPEC §6.1, §6.2),
 * also when what the writer committed is hidden from read_committed readers after the restart.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaOutageTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path tmp;

  private TestPki pki;
  private EmbeddedKafka.Options kafkaOptions;
  /** The broker; a restart replaces it (same data and ports). */
  private EmbeddedKafka kafka;
  private String bootstrap;
  private CloudIngest cloud;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A broker on fixed ports (so a restart keeps them) and cloud-ingest with fast Kafka retries. */
  private void startKafkaAndCloud() throws IOException {
    pki = TestPki.create(tmp.resolve("pki"));
    kafkaOptions = new EmbeddedKafka.Options(tmp.resolve("kafka"), freePort(), freePort());
    kafka = new EmbeddedKafka(kafkaOptions);
    kafka.start();
    bootstrap = kafka.bootstrap();
    cloud = TestCloud.start(TestCloud.config(pki, bootstrap, tmp.resolve("data"), Map.of(
        "kafka.timeoutMs", "3000",
        "kafka.retryInitialMs", "100",
        "kafka.retryMaxMs", "1000")));
  }

  @Test
  void whileKafkaIsDownBatchesGet503AndAfterItsRestartTheyAreCommittedExactlyOnce(Vertx vertx) throws Exception {
    startKafkaAndCloud();
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

  /**
   * After a broker crash Kafka 4.3.1 now and then leaves a committed transaction open at its
   * partitions (docs/OPERATIONS.md): its watermark record is then invisible to the reload that
   * follows the writer's recovery. Here another producer's open transaction on edge.watermarks
   * hides it the same way. The writer must keep the watermark it committed: with the older one it
   * would answer SEQUENCE_GAP to every batch of an edge that already released what was committed.
   */
  @Test
  void aCommittedWatermarkHiddenAfterTheBrokerRestartIsKeptAndTheNextBatchIsWritten(Vertx vertx) throws Exception {
    startKafkaAndCloud();
    Properties bp = new Properties();
    bp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    bp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-hider");
    bp.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "90000");
    try (IngestClient n1 = new IngestClient(vertx, cloud.ingestPort(), pki.node("n1"), pki.caCert());
         KafkaProducer<byte[], byte[]> hider =
             new KafkaProducer<>(bp, new ByteArraySerializer(), new ByteArraySerializer())) {
      // GIVEN 1..100 committed, then a transaction left open on edge.watermarks, then 101..200 committed
      assertEquals(200, TestCloud.await(n1.post(Frames.batch("n1", 1, 100)), WAIT).status());
      hider.initTransactions();
      hider.beginTransaction();
      hider.send(new ProducerRecord<>(TopicSetup.WATERMARKS, "hider/normal".getBytes(StandardCharsets.UTF_8),
          "{\"committedClassSeq\":1,\"seq\":1}".getBytes(StandardCharsets.UTF_8))).get();
      Reply second = TestCloud.await(n1.post(Frames.batch("n1", 101, 100)), WAIT);
      assertEquals(200, second.status(), second.body().encode());
      Properties readers = new Properties();
      readers.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      assertEquals(100, WatermarkLog.load(readers, 10_000).get(new NodeWatermarks.Key("n1", Priority.NORMAL))
          .committedClassSeq(), "read_committed readers see nothing behind the open transaction");

      // WHEN the broker restarts: the writer re-creates its producers and reloads the watermarks
      kafka.close();
      assertEquals(503, TestCloud.await(n1.post(Frames.batch("n1", 201, 100)), WAIT).status());
      kafka = new EmbeddedKafka(kafkaOptions);
      kafka.start();

      // THEN the edge's next batch is written (not 409 SEQUENCE_GAP from a watermark of 100)
      Reply next = TestCloud.await(n1.post(Frames.batch("n1", 201, 100)), WAIT);
      long deadline = System.nanoTime() + WAIT.toNanos() * 2;
      while (next.status() == 503 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        next = TestCloud.await(n1.post(Frames.batch("n1", 201, 100)), WAIT);
      }
      assertEquals(200, next.status(), next.body().encode());
      assertEquals(300L, next.body().getLong("committedClassSeq"));
      assertEquals(100, next.body().getInteger("written"));
      assertEquals(1.0, cloud.registry().find("cloud_watermarks_hidden").counter().count());
      // AND a replay of what was hidden is a duplicate
      Reply replay = TestCloud.await(n1.post(Frames.batch("n1", 101, 100)), WAIT);
      assertEquals(0, replay.body().getInteger("written"), replay.body().encode());
      hider.abortTransaction();
    } finally {
      TestCloud.await(cloud.stop(), WAIT);
    }
    // AND once the open transaction is gone, Kafka holds each event exactly once
    try {
      var records = KafkaTopics.awaitForNode(bootstrap, TopicSetup.EVENTS, "n1", 300);
      assertEquals(300, records.size());
      assertEquals(300, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
    } finally {
      kafka.close();
    }
  }
}
