package io.edgesync.loadgen;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka transactions back to back, as cloud-ingest's writer runs them: begin, send R records,
 * flush, commit, and again, on ONE producer or on several taken in turns. Prints transactions/s,
 * the begin→commit percentiles, and the send→consume latency a {@code read_committed} consumer
 * sees (the send time each record carries, to its poll: {@link KafkaCounter}). Measures the broker's hold on a transaction begun while the
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
    String tag = "tp" + Long.toString(System.nanoTime(), 36);
    KafkaCounter counter = new KafkaCounter(bootstrap, topic, tag, txns * records);
    counter.start(60_000);
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
      String pad = "x".repeat(340);
      long t0 = System.nanoTime();
      for (int t = 0; t < txns; t++) {
        KafkaProducer<byte[], byte[]> k = ps.get(t % producers);
        long s = System.nanoTime();
        k.beginTransaction();
        for (int r = 0; r < records; r++) {
          // ~400 bytes; "tn" (epoch µs at send) is what the counter measures send → consume from
          byte[] value = ("{\"id\":\"" + tag + "-" + t + "-" + r + "\",\"tn\":" + Clock.micros() + ",\"pad\":\""
              + pad + "\"}").getBytes(StandardCharsets.US_ASCII);
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
      long deadline = System.currentTimeMillis() + 30_000;
      while (counter.count() < txns * records && counter.error() == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
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
}
