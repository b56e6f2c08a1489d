package io.edgesync.cloud.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.kafka.ShardMap;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.testkit.Frames;
import io.edgesync.cloud.testkit.IngestClient;
import io.edgesync.cloud.testkit.IngestClient.Reply;
import io.edgesync.cloud.testkit.KafkaTopics;
import io.edgesync.cloud.testkit.Poll;
import io.edgesync.cloud.testkit.TestCloud;
import io.edgesync.cloud.testkit.TestPki;
import io.edgesync.model.Priority;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
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
 * Several ingest instances on one Kafka (issue 9): the consumer group spreads the node shards
 * over the instances, a batch sent to an instance that does not own its node's shard is answered
 * 421 and written nowhere, a shard moves on a clean stop without a duplicate, and even two
 * instances that both believe they own a shard (split brain: different groups) cannot both
 * commit, because each shard has one transactional id.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShardOwnershipTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int SHARDS = 4;

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

  private static CloudIngest start(String name, String group, String txnPrefix, Map<String, String> extra) {
    Map<String, String> m = new HashMap<>(Map.of("kafka.shards", Integer.toString(SHARDS), "kafka.groupId", group,
        "kafka.transactionalId", txnPrefix, "kafka.sessionTimeoutMs", "6000"));
    m.putAll(extra);
    return TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), tmp.resolve(name), m));
  }

  /** The first node id ("prefix0", "prefix1", ...) whose shard is in {@code shards}. */
  private static String nodeIn(String prefix, List<Integer> shards) {
    for (int i = 0; ; i++) {
      if (shards.contains(ShardMap.shardOf(prefix + i, SHARDS))) {
        return prefix + i;
      }
    }
  }

  @Test
  void theSameBatchSentToTwoInstancesLandsOnceAndAShardMovesWithoutADuplicate(Vertx vertx) {
    // GIVEN two instances of one cloud tier (one group, one transactional-id prefix)
    CloudIngest a = start("a", "tier-1", "tier-1", Map.of());
    CloudIngest b = start("b", "tier-1", "tier-1", Map.of());
    try {
      Poll.until(() -> !a.ownedShards().isEmpty() && !b.ownedShards().isEmpty()
              && a.ownedShards().size() + b.ownedShards().size() == SHARDS, WAIT,
          "the group spreads " + SHARDS + " shards over both instances");
      String node = nodeIn("own-", a.ownedShards());
      try (IngestClient toA = new IngestClient(vertx, a.ingestPort(), pki.node(node), pki.caCert());
           IngestClient toB = new IngestClient(vertx, b.ingestPort(), pki.node(node), pki.caCert())) {
        // WHEN the same batch reaches both instances at once (a replay to both)
        byte[] batch = Frames.batch(node, Priority.NORMAL, 1, 50);
        Future<Reply> ra = toA.post(batch);
        Future<Reply> rb = toB.post(batch);
        Reply fromA = TestCloud.await(ra, WAIT);
        Reply fromB = TestCloud.await(rb, WAIT);

        // THEN the owner writes it, the other answers 421 NOT_OWNER and writes nothing
        assertEquals(200, fromA.status(), fromA.body().encode());
        assertEquals(50, fromA.body().getInteger("written"));
        assertEquals(421, fromB.status(), fromB.body().encode());
        assertEquals("NOT_OWNER", fromB.body().getString("error"));
      }

      // AND WHEN the owner stops cleanly, the other instance takes every shard
      TestCloud.await(a.stop(), WAIT);
      Poll.until(() -> b.ownedShards().size() == SHARDS, WAIT, "b takes the shards of the stopped instance");
      try (IngestClient toB = new IngestClient(vertx, b.ingestPort(), pki.node(node), pki.caCert())) {
        // a resend of 1..100 after the move writes only 51..100 (503 while the new writer starts: retry, as an edge does)
        Reply resent = postUntilNot503(toB, Frames.batch(node, Priority.NORMAL, 1, 100));
        assertEquals(200, resent.status(), resent.body().encode());
        assertEquals(50, resent.body().getInteger("written"));
        assertEquals(50, resent.body().getInteger("duplicates"));
        assertEquals(100L, resent.body().getLong("committedClassSeq"));
      }
      List<?> records = KafkaTopics.awaitForNode(kafka.bootstrap(), TopicSetup.EVENTS, node, 100);
      assertEquals(100, records.size());
    } finally {
      TestCloud.await(a.stop(), WAIT);
      TestCloud.await(b.stop(), WAIT);
    }
  }

  @Test
  void twoInstancesThatBothBelieveTheyOwnAShardCannotBothCommit(Vertx vertx) {
    // GIVEN two instances in DIFFERENT groups (each owns every shard: split brain) but with the same
    // transactional ids: the second one's initTransactions fences both of the first one's producers
    CloudIngest first = start("first", "split-1", "split", Map.of());
    String node = "split-node";
    CloudIngest second = null;
    try (IngestClient toFirst = new IngestClient(vertx, first.ingestPort(), pki.node(node), pki.caCert())) {
      // the first one commits once, so its next transaction goes to its OTHER producer (".b")
      Reply early = TestCloud.await(toFirst.post(Frames.batch(node, Priority.NORMAL, 1, 10)), WAIT);
      assertEquals(200, early.status(), early.body().encode());
      assertEquals(10, early.body().getInteger("written"));
      second = start("second", "split-2", "split", Map.of());
      assertEquals(SHARDS, first.ownedShards().size());
      assertEquals(SHARDS, second.ownedShards().size());
      try (IngestClient toSecond = new IngestClient(vertx, second.ingestPort(), pki.node(node), pki.caCert())) {
        splitBrain(toFirst, toSecond);
      }
    } finally {
      TestCloud.await(first.stop(), WAIT);
      if (second != null) {
        TestCloud.await(second.stop(), WAIT);
      }
    }
    List<?> records = KafkaTopics.awaitForNode(kafka.bootstrap(), TopicSetup.EVENTS, node, 100);
    assertEquals(100, records.size());
    assertTrue(KafkaTopics.forNode(kafka.bootstrap(), TopicSetup.EVENTS, node).size() == 100);
  }

  /** The same batch to both; the fenced one gives way, takes the shard back, and fences the other. */
  private static void splitBrain(IngestClient toFirst, IngestClient toSecond) {
    String node = "split-node";
    // WHEN the same batch goes to both
    Reply fromFirst = TestCloud.await(toFirst.post(Frames.batch(node, Priority.NORMAL, 11, 40)), WAIT);
    Reply fromSecond = TestCloud.await(toSecond.post(Frames.batch(node, Priority.NORMAL, 11, 40)), WAIT);

    // THEN the fenced one commits nothing (503: retry), the other writes it
    assertEquals(503, fromFirst.status(), fromFirst.body().encode());
    assertEquals(200, fromSecond.status(), fromSecond.body().encode());
    assertEquals(40, fromSecond.body().getInteger("written"));

    // AND WHEN the fenced one takes its shard back (after kafka.sessionTimeoutMs), it reloads the
    // watermarks first: a resend of 1..100 writes 51..100 only
    Reply again = postUntilNot503(toFirst, Frames.batch(node, Priority.NORMAL, 1, 100));
    assertEquals(200, again.status(), again.body().encode());
    assertEquals(50, again.body().getInteger("written"));
    assertEquals(50, again.body().getInteger("duplicates"));

    // and now the second one is the fenced one
    Reply late = TestCloud.await(toSecond.post(Frames.batch(node, Priority.NORMAL, 101, 10)), WAIT);
    assertFalse(late.status() == 200 && late.body().getInteger("written") > 0, late.body().encode());
  }

  private static Reply postUntilNot503(IngestClient client, byte[] frame) {
    Reply r = null;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      r = TestCloud.await(client.post(frame), WAIT);
      if (r.status() != 503) {
        return r;
      }
      sleep(300);
    }
    return r;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
