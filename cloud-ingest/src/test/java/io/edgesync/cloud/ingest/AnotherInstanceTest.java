package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgesync.cloud.app.CloudConfig;
import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.IngestClient.Reply;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
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

/**
 * A node's batches land on another ingest instance that has been running all along, with
 * a watermark cache from before the first instance moved on (SPEC §6.2, issue 3): the
 * second instance catches up on {@code edge.watermarks} before it writes, so nothing is
 * written twice.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AnotherInstanceTest {
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
  void aBatchLandingOnAnotherRunningInstanceIsNotWrittenTwice(Vertx vertx) {
    // GIVEN two instances running side by side
    CloudIngest a = TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve("a"),
        Map.of("kafka.transactionalId", "ingest-a")));
    CloudIngest b = TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve("b"),
        Map.of("kafka.transactionalId", "ingest-b")));
    try (IngestClient toA = new IngestClient(vertx, a.ingestPort(), pki.node("n1"), pki.caCert());
         IngestClient toB = new IngestClient(vertx, b.ingestPort(), pki.node("n1"), pki.caCert())) {
      // WHEN n1 commits 1..50 through B, moves to A and commits 51..100, then its answer from A is lost and
      // it fails back over to B (whose cache still says 50) with 51..150
      assertEquals(200, TestCloud.await(toB.post(Frames.batch("n1", Priority.NORMAL, 1, 50)), WAIT).status());
      assertEquals(200, TestCloud.await(toA.post(Frames.batch("n1", Priority.NORMAL, 51, 50)), WAIT).status());
      Reply resent = TestCloud.await(toB.post(Frames.batch("n1", Priority.NORMAL, 51, 100)), WAIT);

      // THEN B writes only 101..150
      assertEquals(200, resent.status());
      assertEquals(50, resent.body().getInteger("written"));
      assertEquals(50, resent.body().getInteger("duplicates"));
      assertEquals(150L, resent.body().getLong("committedClassSeq"));

      // AND back on A (whose cache is now behind B), a replay of 1..150 writes nothing
      Reply back = TestCloud.await(toA.post(Frames.batch("n1", Priority.NORMAL, 1, 150)), WAIT);
      assertEquals(0, back.body().getInteger("written"));
      assertEquals(150L, back.body().getLong("committedClassSeq"));
    } finally {
      TestCloud.await(a.stop(), WAIT);
      TestCloud.await(b.stop(), WAIT);
    }
    assertEquals(150, KafkaTopics.awaitForNode(kafka.bootstrap(), TopicSetup.EVENTS, "n1", 150).size());
  }
}
