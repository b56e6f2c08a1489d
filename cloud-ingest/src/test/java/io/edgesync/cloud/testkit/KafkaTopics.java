package io.edgesync.cloud.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a whole topic with a read_committed consumer, the way a downstream verifier does. */
public final class KafkaTopics {
  private KafkaTopics() {}

  /** Every committed record of {@code topic}, partition by partition, each in offset order. */
  public static List<ConsumerRecord<byte[], byte[]>> readCommitted(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
             new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(10));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end offsets " + end);
        }
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  /** The records of {@code topic} whose {@code node-id} header is {@code nodeId}. */
  public static List<ConsumerRecord<byte[], byte[]>> forNode(String bootstrap, String topic, String nodeId) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : readCommitted(bootstrap, topic)) {
      if (nodeId.equals(header(r, "node-id"))) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The records of {@code nodeId} in {@code topic} once at least {@code expected} are visible
   * (or after 15 s). A transaction's commit markers reach the partitions shortly after
   * {@code commitTransaction} returns, so a read_committed reader polls; the caller then asserts
   * the exact count.
   */
  public static List<ConsumerRecord<byte[], byte[]>> awaitForNode(String bootstrap, String topic, String nodeId,
      int expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    List<ConsumerRecord<byte[], byte[]>> out = forNode(bootstrap, topic, nodeId);
    while (out.size() < expected && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      out = forNode(bootstrap, topic, nodeId);
    }
    return out;
  }

  /** The {@code class-seq} header as a number. */
  public static long classSeqOf(ConsumerRecord<?, ?> r) {
    return Long.parseLong(header(r, "class-seq"));
  }

  /** The single header {@code key} as UTF-8, or null. */
  public static String header(ConsumerRecord<?, ?> r, String key) {
    Header h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
