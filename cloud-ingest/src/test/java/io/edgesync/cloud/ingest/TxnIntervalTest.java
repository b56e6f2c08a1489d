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
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kafka.txnIntervalMs}: batches that arrive within the interval after a transaction began
 * share the next transaction; a batch after a quiet spell does not wait. One shard, so every node
 * is written by the same writer; a real broker and real HTTP/2 + mutual TLS.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TxnIntervalTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** The longest the key allows: long against a transaction on a busy CI machine. */
  private static final long INTERVAL_MS = 1000;

  @TempDir
  static Path tmp;
  static CloudTestEnv env;
  static TestPki pki;
  static CloudIngest cloud;

  @BeforeAll
  static void startCloud() {
    env = CloudTestEnv.start(tmp);
    pki = env.pki();
    cloud = env.startCloud(Map.of(
        "kafka.shards", "1",
        "kafka.txnIntervalMs", String.valueOf(INTERVAL_MS)));
  }

  @AfterAll
  static void stopCloud() {
    if (env != null) {
      env.close();
    }
  }

  private static long transactions() {
    var t = cloud.registry().find("cloud_kafka_txn").timer();
    return t == null ? 0 : t.count();
  }

  private static double batchesInTransactions() {
    return cloud.registry().find("cloud_kafka_txn_batches").summary().totalAmount();
  }

  @Test
  void batchesArrivingWithinTheIntervalShareOneTransactionAndAQuietLinkDoesNotWait(Vertx vertx) throws Exception {
    List<String> nodes = List.of("t-first", "t-a", "t-b", "t-c", "t-d", "t-e", "t-late");
    List<String> five = nodes.subList(1, 6);
    List<IngestClient> clients = new ArrayList<>();
    try {
      for (String node : nodes) {
        clients.add(new IngestClient(vertx, cloud.ingestPort(), pki.node(node), pki.caCert()));
      }
      // (connections up and TLS handshakes done first, so that the timing below is the writer's)
      List<Future<Reply>> warm = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        warm.add(clients.get(i).post(Frames.batch(nodes.get(i), 1, 1)));
      }
      TestCloud.await(Future.all(warm), WAIT);
      Thread.sleep(INTERVAL_MS + 200);
      long before = transactions();
      double batchesBefore = batchesInTransactions();

      // GIVEN a batch on a quiet link: its transaction begins at once
      Future<Reply> first = clients.get(0).post(Frames.batch("t-first", 2, 10));
      Thread.sleep(100);

      // WHEN five nodes send a batch each, 60 ms apart (longer than a transaction here), within the interval
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        replies.add(clients.get(i).post(Frames.batch(five.get(i - 1), 2, 20)));
        Thread.sleep(60);
      }
      assertEquals(200, TestCloud.await(first, WAIT).status());
      TestCloud.await(Future.all(replies), WAIT);

      // THEN each is committed, the five together in ONE transaction after the first one's
      for (Future<Reply> r : replies) {
        assertEquals(200, r.result().status(), r.result().body().encode());
        assertEquals(20, r.result().body().getInteger("written"));
      }
      assertEquals(before + 2, transactions(), "the first batch's transaction and one for the five");
      assertEquals(6.0, batchesInTransactions() - batchesBefore);
      for (String node : five) {
        assertEquals(21, KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.EVENTS, node, 21).size());
      }

      // AND after a quiet spell longer than the interval, a batch is committed without waiting for it
      Thread.sleep(INTERVAL_MS + 200);
      long t0 = System.nanoTime();
      Reply late = TestCloud.await(clients.get(6).post(Frames.batch("t-late", 2, 10)), WAIT);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(200, late.status());
      // (a linger counted from its arrival would hold it for the whole interval)
      assertTrue(ms < INTERVAL_MS, "a quiet link's batch waited " + ms + " ms");
    } finally {
      clients.forEach(IngestClient::close);
    }
  }
}
