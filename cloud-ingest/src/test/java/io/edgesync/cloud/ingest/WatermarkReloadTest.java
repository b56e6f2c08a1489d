package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgesync.cloud.app.CloudConfig;
import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.kafka.NodeWatermarks;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.IngestClient.Reply;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The watermarks live in Kafka, not in the process: a new instance takes over (SPEC §6.2). */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WatermarkReloadTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static TestPki pki;
  static EmbeddedKafka kafka;

  @BeforeAll
  static void startKafka() {
    pki = TestPki.create(tmp.resolve("pki"));
    kafka = new EmbeddedKafka(new EmbeddedKafka.Options(tmp.resolve("kafka"), 0, 0));
    kafka.start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void restartedIngestReloadsWatermarksFromKafkaAndAReplayedBatchWritesNothing(Vertx vertx) {
    CloudConfig config = TestCloud.config(pki, kafka.bootstrap(), tmp.resolve("data"), Map.of());
    byte[] normal = Frames.batch("n1", Priority.NORMAL, 1, 100);
    byte[] bulk = Frames.batch("n1", Priority.BULK, 1, 30);

    // GIVEN a cloud that committed n1's normal 1..100 and bulk 1..30
    CloudIngest first = TestCloud.start(config);
    try (IngestClient n1 = new IngestClient(vertx, first.ingestPort(), pki.node("n1"), pki.caCert())) {
      assertEquals(200, TestCloud.await(n1.post(normal), WAIT).status());
      assertEquals(200, TestCloud.await(n1.post(bulk), WAIT).status());
    }
    // WHEN it stops (Kafka keeps running) and a new instance starts
    TestCloud.await(first.stop(), WAIT);
    CloudIngest second = TestCloud.start(config);
    try (IngestClient n1 = new IngestClient(vertx, second.ingestPort(), pki.node("n1"), pki.caCert())) {
      // THEN the new instance knows the watermarks from edge.watermarks
      assertEquals(100L, second.watermarks().committedClassSeq(new NodeWatermarks.Key("n1", Priority.NORMAL)));
      Reply w = TestCloud.await(n1.watermarks(), WAIT);
      assertEquals(new JsonObject().put("nodeId", "n1").put("critical", 0).put("normal", 100).put("bulk", 30),
          w.body());

      // AND replaying the batch writes nothing
      Reply replay = TestCloud.await(n1.post(normal), WAIT);
      assertEquals(200, replay.status());
      assertEquals(0, replay.body().getInteger("written"));
      assertEquals(100, replay.body().getInteger("duplicates"));
      assertEquals(100L, replay.body().getLong("committedClassSeq"));

      // AND the next batch continues the sequence
      Reply next = TestCloud.await(n1.post(Frames.batch("n1", Priority.NORMAL, 101, 10)), WAIT);
      assertEquals(10, next.body().getInteger("written"));
    } finally {
      TestCloud.await(second.stop(), WAIT);
    }
    assertEquals(140, KafkaTopics.awaitForNode(kafka.bootstrap(), TopicSetup.EVENTS, "n1", 140).size());
  }
}
