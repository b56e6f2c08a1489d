package io.edgesync.cloud.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.cloud.kafka.NodeWatermarks.Key;
import io.edgesync.cloud.kafka.NodeWatermarks.Watermark;
import io.edgesync.model.Priority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The format of {@code edge.watermarks} records and the reader that rebuilds the map from the
 * topic. Key: {@code nodeId/class} (UTF-8, split at the last '/'); value: JSON
 * {@code {"committedClassSeq":N,"seq":S,"logEpoch":E}} ({@code logEpoch} only when known). A null
 * value (tombstone) removes the entry.
 */
public final class WatermarkLog {
  private static final Logger LOG = LoggerFactory.getLogger(WatermarkLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private WatermarkLog() {}

  public static byte[] recordKey(Key key) {
    return key.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] recordValue(Watermark w) {
    return ("{\"committedClassSeq\":" + w.committedClassSeq() + ",\"seq\":" + w.seq()
        + (w.logEpoch() != 0 ? ",\"logEpoch\":" + w.logEpoch() : "") + "}").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Reads {@code edge.watermarks} from the beginning up to its end offsets with
   * {@code isolation.level=read_committed}, so only committed transactions count. Blocking.
   *
   * @throws org.apache.kafka.common.KafkaException or its TimeoutException when Kafka does not
   *     answer within {@code timeoutMs}
   */
  public static Map<Key, Watermark> load(Properties base, long timeoutMs) {
    try (Follower f = new Follower(base, timeoutMs)) {
      Map<Key, Watermark> out = f.catchUp(timeoutMs);
      LOG.info("loaded {} watermarks from {} records of {}", out.size(), f.records, TopicSetup.WATERMARKS);
      return out;
    }
  }

  /**
   * A {@code read_committed} reader of {@code edge.watermarks}: each {@link #catchUp} returns what
   * was committed since the previous one. A shard writer loads through it right after its
   * {@code initTransactions}, which settled every earlier commit for its shard. Not thread-safe.
   */
  public static final class Follower implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> parts;
    private long records;

    /**
     * Connects and positions at the beginning of the topic. Blocking.
     *
     * @param base bootstrap servers and client (security) settings
     */
    public Follower(Properties base, long timeoutMs) {
      Properties p = new Properties();
      p.putAll(base);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
      p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, "cloud-ingest-watermark-follower");
      consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      try {
        parts = consumer.partitionsFor(TopicSetup.WATERMARKS, Duration.ofMillis(timeoutMs)).stream()
            .map(i -> new TopicPartition(i.topic(), i.partition()))
            .collect(Collectors.toList());
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
      } catch (RuntimeException e) {
        consumer.close(Duration.ZERO);
        throw e;
      }
    }

    /**
     * Reads every watermark record committed since the last call (read_committed: up to the
     * last stable offsets) and returns the latest value per key. Blocking.
     *
     * @throws org.apache.kafka.common.errors.TimeoutException when Kafka does not answer in time
     */
    public Map<Key, Watermark> catchUp(long timeoutMs) {
      long deadline = System.nanoTime() + timeoutMs * 1_000_000;
      Map<Key, Watermark> out = new HashMap<>();
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofMillis(timeoutMs));
      while (!reached(consumer, end)) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException(
              "reading " + TopicSetup.WATERMARKS + " took longer than " + timeoutMs + " ms");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          records++;
          apply(out, r.key(), r.value());
        }
      }
      return out;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
    for (var e : end.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static void apply(Map<Key, Watermark> out, byte[] k, byte[] v) {
    if (k == null) {
      return;
    }
    String key = new String(k, StandardCharsets.UTF_8);
    int slash = key.lastIndexOf('/');
    if (slash <= 0) {
      LOG.warn("ignoring watermark record with malformed key {}", key);
      return;
    }
    Key wk;
    try {
      wk = new Key(key.substring(0, slash), Priority.parse(key.substring(slash + 1)));
    } catch (IllegalArgumentException e) {
      LOG.warn("ignoring watermark record with malformed key {}", key);
      return;
    }
    if (v == null) {
      out.remove(wk);
      return;
    }
    try {
      JsonNode n = JSON.readTree(v);
      out.put(wk, new Watermark(n.path("committedClassSeq").asLong(), n.path("seq").asLong(),
          n.path("logEpoch").asLong()));
    } catch (IOException e) {
      LOG.warn("ignoring watermark record {} with malformed value", key);
    }
  }
}
