package io.edgesync.loadgen;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka transactions back to back, as cloud-ingest's writer runs them: begin, send R records,
 * flush, commit, and again, on ONE producer or on several taken in turns. Prints transactions/s,
 * the begin→commit percentiles, and the send→consume latency a {@code read_committed} consumer
 * sees (record timestamp to poll). Measures the broker's hold on a transaction begun while the
 * same producer's previous commit still writes its markers ({@code CONCURRENT_TRANSACTIONS}).
 *
 * <pre>
 * LoadGen txn --kafka BOOTSTRAP [--producers 1] [--txns 400] [--records 100] [--pause-ms 0]
 *             [--topic bench.txn] [--out FILE]
 * </pre>
 * The topic must exist (3 partitions in bench/txn-probe.sh). Not a product tool.
 */
final class TxnProbe {
  private TxnProbe() {}

  static List<String> run(String bootstrap, String topic, int producers, int txns, int records, long pauseMs)
      throws Exception {
    List<KafkaProducer<byte[], byte[]>> ps = new ArrayList<>();
    long[] txnNanos = new long[txns];
    KafkaCounterThread counter = new KafkaCounterThread(bootstrap, topic, txns * records);
    counter.start();
    try {
      for (int i = 0; i < producers; i++) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "txn-probe-" + System.nanoTime() + "-" + i);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        KafkaProducer<byte[], byte[]> k = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        ps.add(k);
        k.initTransactions();
      }
      byte[] value = new byte[400];
      long t0 = System.nanoTime();
      for (int t = 0; t < txns; t++) {
        KafkaProducer<byte[], byte[]> k = ps.get(t % producers);
        long s = System.nanoTime();
        k.beginTransaction();
        for (int r = 0; r < records; r++) {
          k.send(new ProducerRecord<>(topic, ("k" + r).getBytes(StandardCharsets.US_ASCII), value));
        }
        k.flush();
        k.commitTransaction();
        txnNanos[t] = System.nanoTime() - s;
        if (pauseMs > 0) {
          Thread.sleep(pauseMs);
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      counter.awaitCount(txns * records, 30_000);
      Percentiles txn = new Percentiles(txnNanos, txns);
      Percentiles consume = counter.latencies();
      List<String> out = new ArrayList<>();
      out.add("producers=" + producers);
      out.add("txns=" + txns);
      out.add("records_per_txn=" + records);
      out.add("pause_ms=" + pauseMs);
      out.add(String.format(Locale.ROOT, "txn_rate=%.0f", txns / seconds));
      out.add("txn_p50_ms=" + txn.ms(0.50));
      out.add("txn_p90_ms=" + txn.ms(0.90));
      out.add("txn_p99_ms=" + txn.ms(0.99));
      out.add("consumed=" + consume.count());
      out.add("consume_p50_ms=" + consume.ms(0.50));
      out.add("consume_p99_ms=" + consume.ms(0.99));
      return out;
    } finally {
      counter.stop();
      for (KafkaProducer<byte[], byte[]> k : ps) {
        k.close(Duration.ofSeconds(5));
      }
    }
  }

  /** A read_committed consumer at the end of every partition: record timestamp → poll time. */
  private static final class KafkaCounterThread implements Runnable {
    private final String bootstrap;
    private final String topic;
    private final long[] latencies;
    private final Thread thread = new Thread(this, "txn-probe-consumer");
    private volatile int count;
    private volatile boolean ready;
    private volatile boolean stop;
    private volatile Throwable error;

    KafkaCounterThread(String bootstrap, String topic, int capacity) {
      this.bootstrap = bootstrap;
      this.topic = topic;
      this.latencies = new long[capacity];
      thread.setDaemon(true);
    }

    void start() throws InterruptedException {
      thread.start();
      long deadline = System.currentTimeMillis() + 60_000;
      while (!ready && error == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      if (!ready) {
        throw new IllegalStateException("consumer not ready: " + error);
      }
    }

    @Override
    public void run() {
      Properties p = new Properties();
      p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> tps = new ArrayList<>();
        c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
        c.assign(tps);
        c.seekToEnd(tps);
        tps.forEach(c::position);
        ready = true;
        while (!stop) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
            int n = count;
            if (n < latencies.length) {
              latencies[n] = (System.currentTimeMillis() - r.timestamp()) * 1_000_000L;
              count = n + 1;
            }
          }
        }
      } catch (Throwable e) {
        error = e;
      }
    }

    void awaitCount(int n, long timeoutMs) throws InterruptedException {
      long deadline = System.currentTimeMillis() + timeoutMs;
      while (count < n && error == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
    }

    Percentiles latencies() {
      return new Percentiles(latencies, Math.min(count, latencies.length));
    }

    void stop() throws InterruptedException {
      stop = true;
      thread.join(10_000);
    }
  }
}
