package io.edgesync.cloud.ingest;

import static io.edgesync.cloud.testkit.KafkaTopics.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest endpoint against a real in-process Kafka broker, over real HTTP/2 + mutual TLS with
 * the OpenSSL engine. Each test uses its own node id (its own certificate), so tests share the
 * broker and the cloud without sharing watermarks.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchIngestTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long GAP_WAIT_MS = 1000;

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
        "ingest.gapWaitMs", String.valueOf(GAP_WAIT_MS),
        "ingest.maxBatchBytes", "1MiB"));
  }

  @AfterAll
  static void stopCloud() {
    if (env != null) {
      env.close();
    }
  }

  private IngestClient client(Vertx vertx, String node) {
    return new IngestClient(vertx, cloud.ingestPort(), pki.node(node), pki.caCert());
  }

  private static <T> T await(Future<T> f) {
    return TestCloud.await(f, WAIT);
  }

  /** The node's records in edge.events, once {@code expected} are visible (see KafkaTopics). */
  private static List<ConsumerRecord<byte[], byte[]>> events(String node, int expected) {
    return KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.EVENTS, node, expected);
  }

  private static JsonObject ok(String node, long committed, int written, int duplicates) {
    return new JsonObject().put("nodeId", node).put("priority", "normal").put("committedClassSeq", committed)
        .put("written", written).put("duplicates", duplicates)
        // the default admission hint of a quiet instance: 8 batches in flight, no rate limit
        .put("admission", new JsonObject().put("maxInFlight", 8).put("maxEventsPerSec", 0));
  }

  private static long classSeq(ConsumerRecord<?, ?> r) {
    return Long.parseLong(header(r, "class-seq"));
  }

  /** A counter's count or a gauge's value; 0 when the meter does not exist yet. */
  private static double meter(String name, String tag, String value) {
    var search = cloud.registry().find(name);
    if (tag != null) {
      search = search.tag(tag, value);
    }
    var c = search.counter();
    if (c != null) {
      return c.count();
    }
    var g = search.gauge();
    return g == null ? 0 : g.value();
  }

  @Test
  void batchOf100EventsOverHttp2MtlsIsCommittedWithHeadersKeyAndJsonValue(Vertx vertx) {
    // GIVEN node n1 with a client certificate from the fleet CA
    try (IngestClient n1 = client(vertx, "n1")) {
      // WHEN it posts a batch of 100 normal events, class seqs 1..100
      Reply r = await(n1.post(Frames.batch("n1", 1, 100)));

      // THEN the reply is 200 over HTTP/2 with the new watermark
      assertEquals(200, r.status(), r.body().encode());
      assertEquals(HttpVersion.HTTP_2, r.version());
      assertEquals(ok("n1", 100, 100, 0), r.body());
    }
    // AND a read_committed consumer finds exactly those 100 records, each one right
    List<ConsumerRecord<byte[], byte[]>> records = events("n1", 100);
    assertEquals(100, records.size());
    TreeMap<Long, Integer> seen = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> rec : records) {
      long c = classSeq(rec);
      seen.merge(c, 1, Integer::sum);
      String source = Frames.source(c);
      String id = Frames.explicitId("n1", c);
      String eventId = id != null ? id : "n1:" + (Frames.SEQ_OFFSET + c);
      assertEquals(source, new String(rec.key(), StandardCharsets.UTF_8));
      assertEquals(eventId, header(rec, "event-id"));
      assertEquals("n1", header(rec, "node-id"));
      assertEquals(String.valueOf(Frames.SEQ_OFFSET + c), header(rec, "seq"));
      assertEquals(source, header(rec, "source"));
      assertEquals(String.valueOf(Frames.TIME_BASE + c), header(rec, "event-time"));
      assertEquals("normal", header(rec, "priority"));
      JsonObject v = new JsonObject(Buffer.buffer(rec.value()));
      assertEquals(eventId, v.getString("eventId"));
      assertEquals("n1", v.getString("nodeId"));
      assertEquals(Frames.SEQ_OFFSET + c, v.getLong("seq"));
      assertEquals(c, v.getLong("classSeq"));
      assertEquals("normal", v.getString("priority"));
      assertEquals(source, v.getString("source"));
      assertEquals("sensors/" + source + "/temp", v.getString("topic"));
      assertEquals(Frames.TIME_BASE + c, v.getLong("eventTime"));
      assertEquals(Frames.TIME_BASE + c + 7, v.getLong("ingestTime"));
      assertEquals(new JsonObject(Frames.payload("n1", c)), v.getJsonObject("payload"));
      assertFalse(v.containsKey("payloadBase64"));
    }
    assertEquals(100, seen.size());
    assertTrue(seen.values().stream().allMatch(n -> n == 1));
    assertEquals(1L, seen.firstKey());
    assertEquals(100L, seen.lastKey());
  }

  @Test
  void replayedBatchIsAcknowledgedWithoutWritingAndAnOverlapWritesOnlyTheNewTail(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-replay")) {
      // GIVEN class seqs 1..100 are committed
      byte[] batch = Frames.batch("n-replay", 1, 100);
      assertEquals(ok("n-replay", 100, 100, 0), await(n.post(batch)).body());

      // WHEN the same batch is posted again
      Reply again = await(n.post(batch));

      // THEN it is acknowledged, nothing written, and Kafka still holds exactly 100
      assertEquals(200, again.status());
      assertEquals(ok("n-replay", 100, 0, 100), again.body());
      assertEquals(100, events("n-replay", 100).size());

      // WHEN a batch overlapping the watermark (51..150) is posted
      Reply overlap = await(n.post(Frames.batch("n-replay", 51, 100)));

      // THEN only 101..150 are written
      assertEquals(ok("n-replay", 150, 50, 50), overlap.body());
    }
    List<ConsumerRecord<byte[], byte[]>> records = events("n-replay", 150);
    assertEquals(150, records.size());
    assertEquals(150, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
    assertTrue(meter("cloud_dedup_events", null, null) >= 150);
  }

  @Test
  void aBatchOfAnotherLogIsRefusedWith409InsteadOfTakenForDuplicatesAndTheEpochIsInTheWatermarkTopic(Vertx vertx) {
    long epochA = 0x0a0a_0a0a_0a0aL;
    long epochB = 0x0b0b_0b0b_0b0bL;
    try (IngestClient n = client(vertx, "n-epoch")) {
      // GIVEN class seqs 1..100 committed from the log with epoch A
      assertEquals(ok("n-epoch", 100, 100, 0), await(n.post(Frames.batch("n-epoch", 1, 100, epochA))).body());

      // WHEN a recreated log (epoch B: a wiped data folder, or a second edge with this identity)
      // sends its events 1..50, numbers the watermark already counts
      Reply other = await(n.post(Frames.batch("n-epoch", 1, 50, epochB)));

      // THEN they are refused, not acknowledged as duplicates: 409 LOG_EPOCH_MISMATCH
      assertEquals(409, other.status());
      assertEquals("LOG_EPOCH_MISMATCH", other.body().getString("error"));
      assertEquals(100, other.body().getLong("committedClassSeq"));
      // AND above the watermark too (neither a gap nor a write)
      assertEquals("LOG_EPOCH_MISMATCH", await(n.post(Frames.batch("n-epoch", 101, 10, epochB))).body().getString("error"));
      // AND the log of epoch A goes on; a frame without an epoch (an older edge) is not checked
      assertEquals(ok("n-epoch", 110, 10, 0), await(n.post(Frames.batch("n-epoch", 101, 10, epochA))).body());
      assertEquals(ok("n-epoch", 120, 10, 0), await(n.post(Frames.batch("n-epoch", 111, 10))).body());
      assertEquals("LOG_EPOCH_MISMATCH", await(n.post(Frames.batch("n-epoch", 121, 10, epochB))).body().getString("error"));
    }
    List<ConsumerRecord<byte[], byte[]>> records = events("n-epoch", 120);
    assertEquals(120, records.size());
    assertEquals(120, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
    assertEquals(3.0, meter("cloud_log_epoch_mismatches", null, null));
    assertEquals(3.0, meter("cloud_batches", "result", "log_epoch"));
    // AND edge.watermarks holds the epoch, so an instance that takes the node over checks it too
    java.util.Properties kafka = new java.util.Properties();
    kafka.put("bootstrap.servers", cloud.kafkaBootstrap());
    var loaded = io.edgesync.cloud.kafka.WatermarkLog.load(kafka, 30_000)
        .get(new io.edgesync.cloud.kafka.NodeWatermarks.Key("n-epoch", io.edgesync.model.Priority.NORMAL));
    assertEquals(120, loaded.committedClassSeq());
    assertEquals(epochA, loaded.logEpoch());
  }

  @Test
  void batchStartingAboveWatermarkPlusOneIsRefusedWith409AfterTheGapWait(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-gap")) {
      // GIVEN class seqs 1..10 are committed
      assertEquals(200, await(n.post(Frames.batch("n-gap", 1, 10))).status());

      // WHEN a batch starting at 21 arrives and 11..20 never do
      long t0 = System.nanoTime();
      Reply gap = await(n.post(Frames.batch("n-gap", 21, 10)));
      long waitedMs = (System.nanoTime() - t0) / 1_000_000;

      // THEN after about gapWaitMs it is refused with 409 and the committed watermark
      assertEquals(409, gap.status());
      assertEquals("SEQUENCE_GAP", gap.body().getString("error"));
      assertEquals(10L, gap.body().getLong("committedClassSeq"));
      assertTrue(waitedMs >= GAP_WAIT_MS - 50, "refused after " + waitedMs + " ms");
    }
    // AND nothing of the gapped batch is in Kafka
    assertEquals(10, events("n-gap", 10).size());
  }

  @Test
  void gappedBatchIsParkedAndCommittedInOrderWhenItsPredecessorArrivesInTime(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-park")) {
      // GIVEN batch 101..200 arrives before its predecessor
      double parkedBefore = meter("cloud_parked_batches", null, null);
      Future<Reply> second = n.post(Frames.batch("n-park", 101, 100));
      Poll.until(() -> meter("cloud_parked_batches", null, null) >= parkedBefore + 1, Duration.ofSeconds(10),
          "the early batch is parked");

      // WHEN the predecessor 1..100 arrives within gapWaitMs
      Reply first = await(n.post(Frames.batch("n-park", 1, 100)));

      // THEN both are committed
      // (committed in the same transaction as its parked successor, it may report 200)
      assertEquals(200, first.status());
      assertEquals(100, first.body().getInteger("written"));
      assertTrue(Set.of(100L, 200L).contains(first.body().getLong("committedClassSeq")), first.body().encode());
      assertEquals(ok("n-park", 200, 100, 0), await(second).body());
    }
    // AND in Kafka every class seq is there once, in order within each source's partition
    List<ConsumerRecord<byte[], byte[]>> records = events("n-park", 200);
    assertEquals(200, records.size());
    Map<String, List<Long>> bySource = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      bySource.computeIfAbsent(header(r, "source"), k -> new ArrayList<>()).add(classSeq(r));
    }
    for (var e : bySource.entrySet()) {
      List<Long> sorted = new ArrayList<>(e.getValue());
      sorted.sort(Long::compare);
      assertEquals(sorted, e.getValue(), "order of " + e.getKey());
    }
  }

  @Test
  void pipelinedBatchesOnOneConnectionAreEachCommittedExactlyOnce(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-pipe")) {
      // GIVEN 20 batches of 50 sent at once on one HTTP/2 connection
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        replies.add(n.post(Frames.batch("n-pipe", 1 + 50L * i, 50)));
      }
      // THEN every one is acknowledged
      await(Future.all(replies));
      long max = 0;
      for (Future<Reply> f : replies) {
        assertEquals(200, f.result().status(), f.result().body().encode());
        assertEquals(50, f.result().body().getInteger("written"));
        max = Math.max(max, f.result().body().getLong("committedClassSeq"));
      }
      assertEquals(1000, max);
    }
    // AND Kafka holds exactly 1000 distinct events
    List<ConsumerRecord<byte[], byte[]>> records = events("n-pipe", 1000);
    assertEquals(1000, records.size());
    assertEquals(1000, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
  }

  @Test
  void frameClaimingAnotherNodeIsRefusedWith403AndNothingIsWritten(Vertx vertx) {
    double before = meter("cloud_batches_rejected", "reason", "NODE_MISMATCH");
    try (IngestClient n1 = client(vertx, "n1")) {
      // WHEN n1's certificate posts a frame claiming node n2
      Reply r = await(n1.post(Frames.batch("n2", 1, 10)));

      // THEN 403 NODE_MISMATCH
      assertEquals(403, r.status());
      assertEquals("NODE_MISMATCH", r.body().getString("error"));
    }
    // AND nothing is written for n2, and the refusal is counted
    assertEquals(0, events("n2", 0).size());
    assertEquals(0L, cloud.watermarks().committedClassSeq(
        new io.edgesync.cloud.kafka.NodeWatermarks.Key("n2", Priority.NORMAL)));
    assertEquals(before + 1, meter("cloud_batches_rejected", "reason", "NODE_MISMATCH"));
  }

  @Test
  void corruptFramesAreRefusedWith400AndTheReasonAndTheServerKeepsServing(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-corrupt")) {
      byte[] good = Frames.batch("n-corrupt", 1, 20);

      // a flipped byte in the body
      byte[] flipped = good.clone();
      flipped[flipped.length - 5] ^= 0x40;
      assertReason(await(n.post(flipped)), "CRC_MISMATCH");

      // a truncated frame
      assertReason(await(n.post(Arrays.copyOf(good, good.length - 10))), "TRUNCATED");

      // a bad magic
      byte[] magic = good.clone();
      magic[0] = 'X';
      assertReason(await(n.post(magic)), "BAD_MAGIC");

      // an envelope whose class seq breaks the contiguous run
      List<byte[]> envs = new ArrayList<>(Frames.envelopes("n-corrupt", Priority.NORMAL, 1, 5));
      envs.set(3, EnvelopeCodec.encode(Frames.event("n-corrupt", Priority.NORMAL, 9)));
      assertReason(await(n.post(Frames.frame("n-corrupt", Priority.NORMAL, 1, envs))), "BAD_SEQUENCE");

      // an envelope that is not an envelope
      List<byte[]> junk = new ArrayList<>(Frames.envelopes("n-corrupt", Priority.NORMAL, 1, 5));
      junk.set(2, new byte[] {9, 9, 9});
      assertReason(await(n.post(Frames.frame("n-corrupt", Priority.NORMAL, 1, junk))), "BAD_ENVELOPE");

      // THEN the same connection still serves a valid batch
      Reply r = await(n.post(good));
      assertEquals(ok("n-corrupt", 20, 20, 0), r.body());
    }
    assertEquals(20, events("n-corrupt", 20).size());
  }

  @Test
  void bodyAboveMaxBatchBytesIsRefusedWith413AndTheConnectionKeepsServing(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-big")) {
      // WHEN a 2 MiB body arrives at a cloud limited to 1 MiB
      Reply r = await(n.post(Buffer.buffer(new byte[2 * 1024 * 1024])));

      // THEN 413 TOO_LARGE, and the next batch is served
      assertEquals(413, r.status());
      assertEquals("TOO_LARGE", r.body().getString("error"));
      assertEquals(200, await(n.post(Frames.batch("n-big", 1, 5))).status());
    }
    assertEquals(5, events("n-big", 5).size());
  }

  @Test
  void opaquePayloadIsWrittenAsBase64AndWatermarksAreReported(Vertx vertx) {
    byte[] opaque = {0, 1, 2, (byte) 0xFF, 'x'};
    Event e = new Event(7, 1, Priority.CRITICAL, "feed-a", "ticks", null, 5, 6, opaque);
    try (IngestClient n = client(vertx, "n-opaque")) {
      Reply r = await(n.post(Frames.frame("n-opaque", Priority.CRITICAL, 1, List.of(EnvelopeCodec.encode(e)))));
      assertEquals(200, r.status());
      assertEquals("critical", r.body().getString("priority"));
      Reply w = await(n.watermarks());
      assertEquals(new JsonObject().put("nodeId", "n-opaque").put("critical", 1).put("normal", 0).put("bulk", 0),
          w.body());
    }
    List<ConsumerRecord<byte[], byte[]>> records = events("n-opaque", 1);
    assertEquals(1, records.size());
    JsonObject v = new JsonObject(Buffer.buffer(records.get(0).value()));
    assertNull(v.getValue("payload"));
    assertEquals(Base64.getEncoder().encodeToString(opaque), v.getString("payloadBase64"));
    assertEquals("n-opaque:7", header(records.get(0), "event-id"));
  }

  @Test
  void alertsAndDeadLettersGoToTheirOwnTopicsAndShareTheClassWatermark(Vertx vertx) {
    // GIVEN one batch holding an event, an alert raised on it and a dead letter
    String node = "n-kinds";
    byte[] payload = "{\"value\":99.5}".getBytes(StandardCharsets.UTF_8);
    List<byte[]> envs = List.of(
        EnvelopeCodec.encode(new Event(11, 1, Priority.CRITICAL, "dev-1", "sensors/dev-1/temp", "m-1", 5, 6,
            payload)),
        EnvelopeCodec.encode(new Event(12, 2, Priority.CRITICAL, "dev-1", "alerts/over-temp", "m-1", 5, 7,
            "{\"ruleId\":\"over-temp\",\"eventId\":\"m-1\"}".getBytes(StandardCharsets.UTF_8),
            EventKind.ALERT, null)),
        EnvelopeCodec.encode(new Event(13, 3, Priority.CRITICAL, "dev-2", "sensors/dev-2/temp", null, 5, 8,
            "garbage".getBytes(StandardCharsets.UTF_8), EventKind.DEAD_LETTER, "schema: value is required")));
    try (IngestClient n = client(vertx, node)) {
      // WHEN it is posted
      Reply r = await(n.post(Frames.frame(node, Priority.CRITICAL, 1, envs)));

      // THEN all three are committed under one watermark
      assertEquals(200, r.status(), r.body().encode());
      assertEquals(3L, r.body().getLong("committedClassSeq"));
      assertEquals(3, r.body().getInteger("written"));
    }
    // AND each went to its topic, with the same headers, plus the reason on the dead letter
    List<ConsumerRecord<byte[], byte[]>> events = events(node, 1);
    List<ConsumerRecord<byte[], byte[]>> alerts = KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.ALERTS, node, 1);
    List<ConsumerRecord<byte[], byte[]>> dead = KafkaTopics.awaitForNode(cloud.kafkaBootstrap(), TopicSetup.DEADLETTER, node, 1);
    assertEquals(1, events.size());
    assertEquals(1, alerts.size());
    assertEquals(1, dead.size());
    assertEquals("m-1", header(events.get(0), "event-id"));
    assertEquals("m-1", header(alerts.get(0), "event-id"));
    assertEquals("2", header(alerts.get(0), "class-seq"));
    assertEquals("over-temp", new JsonObject(Buffer.buffer(alerts.get(0).value())).getJsonObject("payload")
        .getString("ruleId"));
    assertEquals(node + ":13", header(dead.get(0), "event-id"));
    assertEquals("schema: value is required", header(dead.get(0), "reason"));
    JsonObject deadValue = new JsonObject(Buffer.buffer(dead.get(0).value()));
    assertEquals("schema: value is required", deadValue.getString("reason"));
    assertEquals(Base64.getEncoder().encodeToString("garbage".getBytes(StandardCharsets.UTF_8)),
        deadValue.getString("payloadBase64"));
    assertNull(header(events.get(0), "reason"));
  }

  @Test
  void skipBatchAboveWatermarkPlusOneIsAcceptedAndCountedWithoutSkipItIs409(Vertx vertx) {
    String node = "n-skip";
    try (IngestClient n = client(vertx, node)) {
      // GIVEN class seqs 1..10 of bulk are committed
      assertEquals(200, await(n.post(Frames.batch(node, Priority.BULK, 1, 10))).status());

      // WHEN the edge evicted 11..40 and sends 41..50 WITHOUT the SKIP flag
      Reply plain = await(n.post(Frames.batch(node, Priority.BULK, 41, 10)));

      // THEN it is still a gap: 409 with the watermark
      assertEquals(409, plain.status());
      assertEquals(10L, plain.body().getLong("committedClassSeq"));

      // WHEN it sends 41..50 WITH the SKIP flag
      byte[] skip = BatchCodec.encode(new EventBatch(node, Priority.BULK, 41,
          Frames.envelopes(node, Priority.BULK, 41, 10), true), Compression.ZSTD);
      Reply accepted = await(n.post(skip));

      // THEN it is written, the watermark jumps to 50 and the 30 skipped numbers are counted
      assertEquals(200, accepted.status(), accepted.body().encode());
      assertEquals(50L, accepted.body().getLong("committedClassSeq"));
      assertEquals(10, accepted.body().getInteger("written"));
      assertEquals(30.0, meter("cloud_skipped_events", "node", node));

      // AND the next contiguous batch (no SKIP) continues normally; a SKIP batch at W+1 skips nothing
      assertEquals(200, await(n.post(Frames.batch(node, Priority.BULK, 51, 5))).status());
      byte[] skipAtNext = BatchCodec.encode(new EventBatch(node, Priority.BULK, 56,
          Frames.envelopes(node, Priority.BULK, 56, 5), true), Compression.ZSTD);
      assertEquals(60L, await(n.post(skipAtNext)).body().getLong("committedClassSeq"));
      assertEquals(30.0, meter("cloud_skipped_events", "node", node));
    }
    // AND Kafka holds exactly the 30 events sent and accepted, each once
    List<ConsumerRecord<byte[], byte[]>> records = events(node, 30);
    assertEquals(30, records.size());
    assertEquals(30, records.stream().map(KafkaTopics::classSeqOf).distinct().count());
  }

  @Test
  void frameWithUnknownFlagBitsIsRefusedWith400(Vertx vertx) {
    try (IngestClient n = client(vertx, "n-flags")) {
      byte[] frame = Frames.batch("n-flags", 1, 3);
      frame[7] = 0x04; // bits 0 (SKIP) and 1 (EPOCH) are known
      Reply r = await(n.post(frame));
      assertReason(r, "UNSUPPORTED_FLAGS");
    }
  }

  private static void assertReason(Reply r, String reason) {
    assertEquals(400, r.status(), r.body().encode());
    assertEquals(reason, r.body().getString("error"));
    assertTrue(r.body().getString("message").length() > 0);
  }
}
