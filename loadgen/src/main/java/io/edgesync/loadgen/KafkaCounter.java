package io.edgesync.loadgen;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Counts the records of one run in a topic with a {@code read_committed} consumer (so a record
 * counts once its Kafka transaction committed) and records publish→consume latency from the
 * {@code "tn"} (epoch µs at publish) the load generator put in each payload. Only records
 * whose value contains {@code "<tag>-"} are counted; those of the warm-up ({@code "<tag>w-"}) are
 * counted apart ({@link #warmCount()}). Runs on its own thread.
 *
 * <p>Stages of that latency (millisecond clocks, all processes on one machine): publish → the
 * edge's {@code ingestTime} in the record value (MQTT + edge receive), ingest → the record's
 * timestamp (the cloud's producer sets CreateTime at {@code send}: edge commit, forward linger,
 * HTTP, cloud decode and queue) and that timestamp → consumed (Kafka produce, transaction
 * commit, markers, the consumer's fetch).
 */
final class KafkaCounter implements Runnable {
  private final String bootstrap;
  private final String topic;
  private final String marker;
  private final String warmMarker;
  private final int stride; // every n-th counted record is sampled (Percentiles.stride)
  private final long[] latencies;
  private final long[] toIngest;
  private final long[] toSend;
  private final long[] toConsume;
  private volatile int count;
  private volatile int warmCount;
  private volatile long lastNanos;
  private volatile long valueBytes;
  private volatile boolean stop;
  private volatile boolean ready;
  private volatile Throwable error;
  private final Thread thread;

  KafkaCounter(String bootstrap, String topic, String tag, int capacity) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.marker = "\"" + tag + "-";
    this.warmMarker = "\"" + tag + "w-";
    this.stride = Percentiles.stride(capacity);
    int slots = Percentiles.slots(capacity, stride);
    this.latencies = new long[slots];
    this.toIngest = new long[slots];
    this.toSend = new long[slots];
    this.toConsume = new long[slots];
    this.thread = new Thread(this, "kafka-counter");
    this.thread.setDaemon(true);
  }

  /** Starts and returns once the consumer is positioned at the end of every partition. */
  void start(long timeoutMs) throws InterruptedException {
    thread.start();
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!ready && error == null && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    if (!ready) {
      throw new IllegalStateException("kafka counter not ready: " + error);
    }
  }

  @Override
  public void run() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = List.of();
      long deadline = System.currentTimeMillis() + 60_000;
      while (infos.isEmpty() && System.currentTimeMillis() < deadline) {
        infos = c.partitionsFor(topic, Duration.ofSeconds(5));
        if (infos == null) {
          infos = List.of();
        }
      }
      if (infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " not found");
      }
      List<TopicPartition> tps = new ArrayList<>();
      infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
      c.assign(tps);
      c.seekToEnd(tps);
      tps.forEach(c::position);
      ready = true;
      while (!stop) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
          long nowMicros = Clock.micros();
          String v = new String(r.value(), StandardCharsets.ISO_8859_1);
          if (!v.contains(marker)) {
            if (v.contains(warmMarker)) {
              warmCount++;
            }
            continue;
          }
          int at = v.indexOf("\"tn\":");
          if (at < 0) {
            continue;
          }
          long tn = parseLong(v, at + 5);
          int n = count;
          int slot = n / stride;
          if (n % stride == 0 && slot < latencies.length) {
            latencies[slot] = (nowMicros - tn) * 1000L;
            int it = v.indexOf("\"ingestTime\":");
            long ingestMs = it < 0 ? tn / 1000 : parseLong(v, it + 13);
            long sendMs = r.timestamp();
            toIngest[slot] = (ingestMs * 1000 - tn) * 1000L;
            toSend[slot] = (sendMs - ingestMs) * 1_000_000L;
            toConsume[slot] = (nowMicros - sendMs * 1000) * 1000L;
          }
          valueBytes += r.value().length;
          lastNanos = System.nanoTime();
          count = n + 1;
        }
      }
    } catch (Throwable e) {
      error = e;
    }
  }

  private static long parseLong(String s, int from) {
    long v = 0;
    for (int i = from; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '9') {
        break;
      }
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  int count() {
    return count;
  }

  /** Records of the warm-up ({@code <tag>w-} ids, LoadGen's {@code --warmup}) seen; not counted in {@link #count()}. */
  int warmCount() {
    return warmCount;
  }

  long lastNanos() {
    return lastNanos;
  }

  long avgValueBytes() {
    int n = count;
    return n == 0 ? 0 : valueBytes / n;
  }

  Throwable error() {
    return error;
  }

  /** Samples recorded: every {@code stride}-th counted record, up to the slots. */
  private int sampled() {
    return Math.min(Percentiles.slots(count, stride), latencies.length);
  }

  Percentiles latencies() {
    return new Percentiles(latencies, sampled());
  }

  /** Publish → edge ingest time, ingest → cloud send (record timestamp), send → consumed. */
  Percentiles[] stages() {
    int n = sampled();
    return new Percentiles[] {new Percentiles(toIngest, n), new Percentiles(toSend, n), new Percentiles(toConsume, n)};
  }

  void stop() throws InterruptedException {
    stop = true;
    thread.join(10_000);
  }
}
