package io.edgesync.cloud.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgesync.cloud.testkit.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transaction left open on {@code edge.events} hides every record after its first from
 * read_committed consumers; the watch reports the partition once that has lasted longer than
 * its threshold, and clears it when the transaction ends (real broker, a real open transaction).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StuckPartitionWatchTest {
  @TempDir
  Path tmp;

  @Test
  void aPartitionHeldByAnOpenTransactionIsReportedAfterTheThresholdAndClearedWhenItEnds(Vertx vertx)
      throws Exception {
    EmbeddedKafka kafka = new EmbeddedKafka(new EmbeddedKafka.Options(tmp.resolve("kafka"), 0, 0));
    kafka.start();
    Properties base = new Properties();
    base.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap());
    TopicSetup.ensureTopics(base, 3, 4, (short) 1, 1, 30_000);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StuckPartitionWatch watch = new StuckPartitionWatch(vertx, base, TopicSetup.EVENTS, 10_000, 1_000, registry);
    Properties p = new Properties();
    p.putAll(base);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "stuck-partition-test");
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      // GIVEN a transaction that wrote 5 records to partition 0 and stays open
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 5; i++) {
        producer.send(new ProducerRecord<>(TopicSetup.EVENTS, 0, null, new byte[] {(byte) i}));
      }
      producer.flush();

      // WHEN the watch first sees it, it is not reported yet (a transaction may be open that long)
      watch.checkNow();
      assertEquals(List.of(), watch.stuck());

      // THEN once the last stable offset has stayed below the high watermark past the threshold
      Poll.until(() -> check(watch) && !watch.stuck().isEmpty(), Duration.ofSeconds(30), "partition 0 reported");
      JsonObject stuck = watch.stuck().get(0);
      assertEquals(1, watch.stuck().size(), watch.stuck().toString());
      assertEquals("edge.events-0", stuck.getString("partition"));
      assertEquals(0L, stuck.getLong("lastStableOffset"));
      assertEquals(5L, stuck.getLong("highWatermark"));
      assertEquals(1.0, registry.get("cloud_kafka_partitions_stuck").gauge().value());

      // WHEN the transaction commits, THEN the partition is no longer reported
      producer.commitTransaction();
      Poll.until(() -> check(watch) && watch.stuck().isEmpty(), Duration.ofSeconds(30), "partition 0 cleared");
      assertEquals(0.0, registry.get("cloud_kafka_partitions_stuck").gauge().value());
    } finally {
      watch.close();
      kafka.close();
    }
  }

  private static boolean check(StuckPartitionWatch watch) {
    try {
      watch.checkNow();
      return true;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
