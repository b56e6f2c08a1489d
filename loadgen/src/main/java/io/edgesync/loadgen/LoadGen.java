package io.edgesync.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The benchmark's load generator and helpers (driven by bench/run.sh; not a product tool).
 *
 * <pre>
 * LoadGen ports N                        N free loopback ports, one a line
 * LoadGen topic BOOTSTRAP NAME PARTITIONS create a topic (for ProducerPerformance)
 * LoadGen mqtt --port P [--host H] [--qos 1] [--clients 8] [--payload 200] [--messages 100000]
 *              [--window 1000] [--rate 0 (msg/s total, 0 = as fast as possible)] [--topic-prefix bench/p]
 *              [--tag T] [--subscribe] [--kafka BOOTSTRAP] [--kafka-topic edge.events]
 *              [--warmup 0] [--timeout 300] [--out FILE] [--started FILE]
 * LoadGen txn --kafka BOOTSTRAP [--producers 1] [--txns 400] [--records 100] [--pause-ms 0]
 *             [--topic bench.txn] [--out FILE]     Kafka transactions back to back ({@link TxnProbe})
 * </pre>
 * {@code mqtt} prints {@code key=value} result lines (and writes them to {@code --out}):
 * publish→PUBACK percentiles, the accepted rate, the subscriber's delivered rate
 * ({@code --subscribe}: one client on {@code bench/#} at the same QoS, subscribed before the
 * publishers start), and with {@code --kafka} the rate and publish→consume latency of the
 * run's records in Kafka (read_committed). {@code --started FILE} is written when the measured run
 * starts (after the warm-up), for a caller that measures other processes over the same span.
 *
 * <p>{@code --warmup N}: first publish N messages the same way (same rate, QoS, window, their
 * own client ids and tag {@code <tag>w}, not measured nor counted), so that the measured
 * latencies are not this JVM's own first seconds: the JIT compiling the client's hot paths
 * showed as a p99 of 39 ms in a 15 s run where a 45 s run of the same load had 14 ms. With
 * {@code --kafka}, the measured run starts only once the warm-up's records are in Kafka (or 30 s
 * passed without one more), so that it neither waits behind them nor is measured on cold
 * JVMs along the chain ({@code warmup_kafka_count}, {@code warmup_kafka_wait_s}, and
 * {@code warmup_kafka_rate}: the warm-up's own rate, from its start until it is all in Kafka).
 */
public final class LoadGen {
  private LoadGen() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: LoadGen ports N | topic BOOTSTRAP NAME PARTITIONS | mqtt --port P ... (see the class comment)");
      System.exit(2);
    }
    switch (args[0]) {
      case "ports" -> ports(Integer.parseInt(args[1]));
      case "topic" -> topic(args[1], args[2], Integer.parseInt(args[3]));
      case "mqtt" -> System.exit(mqtt(parse(args)));
      case "txn" -> txn(parse(args));
      default -> {
        System.err.println("LoadGen: unknown command " + args[0]);
        System.exit(2);
      }
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String k = args[i];
      if (!k.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + k);
      }
      if (k.equals("--subscribe")) {
        m.put("subscribe", "true");
      } else {
        m.put(k.substring(2), args[++i]);
      }
    }
    return m;
  }

  private static void txn(Map<String, String> o) throws Exception {
    List<String> lines = TxnProbe.run(o.get("kafka"), o.getOrDefault("topic", "bench.txn"),
        Integer.parseInt(o.getOrDefault("producers", "1")), Integer.parseInt(o.getOrDefault("txns", "400")),
        Integer.parseInt(o.getOrDefault("records", "100")), Long.parseLong(o.getOrDefault("pause-ms", "0")));
    String text = String.join("\n", lines) + "\n";
    System.out.print(text);
    if (o.containsKey("out")) {
      Files.writeString(Path.of(o.get("out")), text);
    }
  }

  private static void ports(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        sockets.add(s);
        System.out.println(s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  private static void topic(String bootstrap, String name, int partitions) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  private static int mqtt(Map<String, String> o) throws Exception {
    String host = o.getOrDefault("host", "127.0.0.1");
    int port = Integer.parseInt(o.get("port"));
    int qos = Integer.parseInt(o.getOrDefault("qos", "1"));
    int clients = Integer.parseInt(o.getOrDefault("clients", "8"));
    int payload = Integer.parseInt(o.getOrDefault("payload", "200"));
    int messages = Integer.parseInt(o.getOrDefault("messages", "100000"));
    int window = Integer.parseInt(o.getOrDefault("window", "1000"));
    double rate = Double.parseDouble(o.getOrDefault("rate", "0"));
    String prefix = o.getOrDefault("topic-prefix", "bench/p");
    String tag = o.getOrDefault("tag", "b" + Long.toString(System.currentTimeMillis(), 36));
    boolean subscribe = o.containsKey("subscribe");
    String kafka = o.get("kafka");
    String kafkaTopic = o.getOrDefault("kafka-topic", "edge.events");
    long timeoutMs = Long.parseLong(o.getOrDefault("timeout", "300")) * 1000L;
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "0"));
    if (warmup > 0 && subscribe) {
      System.err.println("LoadGen: --warmup cannot be combined with --subscribe (the subscriber would count it)");
      return 2;
    }
    Path out = o.containsKey("out") ? Path.of(o.get("out")) : null;
    Path started = o.containsKey("started") ? Path.of(o.get("started")) : null;

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())));
    Map<String, String> r = new LinkedHashMap<>();
    int exit = 0;
    KafkaCounter counter = null;
    MqttClient sub = null;
    AtomicLong delivered = new AtomicLong();
    AtomicLong lastDelivery = new AtomicLong();
    List<Publisher> pubs = new ArrayList<>();
    try {
      if (kafka != null) {
        counter = new KafkaCounter(kafka, kafkaTopic, tag, messages);
        counter.start(90_000);
      }
      if (subscribe) {
        sub = MqttClient.create(vertx, new MqttClientOptions().setClientId("bench-sub-" + tag).setCleanSession(true)
            .setMaxInflightQueue(65535).setKeepAliveInterval(60));
        sub.publishHandler(m -> {
          delivered.incrementAndGet();
          lastDelivery.set(System.nanoTime());
        });
        await(sub.connect(port, host), 30_000);
        String filter = prefix.contains("/") ? prefix.substring(0, prefix.lastIndexOf('/') + 1) + "#" : "#";
        await(sub.subscribe(filter, qos), 30_000);
      }
      if (warmup > 0) {
        long warm0 = System.nanoTime();
        warmUp(vertx, host, port, qos, prefix, tag + "w", payload, window, clients, warmup, rate, timeoutMs);
        if (counter != null) {
          // the measured run starts once the warm-up is in Kafka: what the edge still buffered of it
          // would otherwise be forwarded first and counted against the measured run's rate
          long w0 = System.nanoTime();
          awaitKafka(counter::warmCount, warmup, counter, timeoutMs);
          long warm1 = System.nanoTime();
          r.put("warmup_kafka_count", Integer.toString(counter.warmCount()));
          r.put("warmup_kafka_wait_s", f((warm1 - w0) / 1e9));
          r.put("warmup_kafka_rate", f0(counter.warmCount() / ((warm1 - warm0) / 1e9)));
        }
      }
      pubs.addAll(publishers(vertx, host, port, qos, prefix, tag, payload, window, clients, messages, rate));
      connect(pubs);

      if (started != null) {
        Files.writeString(started, "started\n"); // the caller measures its processes from here
      }
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      List<Future<Void>> runs = new ArrayList<>();
      pubs.forEach(p -> runs.add(p.run()));
      Future<?> all = Future.all(runs);
      long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (!all.isComplete() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long tAcked = System.nanoTime();
      long acked = pubs.stream().mapToLong(Publisher::acked).sum();
      if (!all.isComplete() || all.failed()) {
        exit = 1;
        r.put("error", all.isComplete() ? String.valueOf(all.cause()).replace('\n', ' ') : "timeout: " + acked + " of " + messages + " acknowledged");
      }
      double pubSec = (tAcked - t0) / 1e9;
      r.put("messages", Integer.toString(messages));
      r.put("acked", Long.toString(acked));
      r.put("pub_seconds", f(pubSec));
      r.put("accepted_rate", f0(acked / pubSec));
      int n = 0;
      long[] lat = new long[pubs.stream().mapToInt(Publisher::recorded).sum()];
      for (Publisher p : pubs) {
        int rec = p.recorded();
        System.arraycopy(p.latencies(), 0, lat, n, rec);
        n += rec;
      }
      Percentiles pl = new Percentiles(lat, n);
      putPct(r, "puback", pl);

      if (subscribe) {
        // wait for the subscriber: every message, or 5 s without a new delivery
        awaitCount(delivered::get, acked, () -> false, deadline + 60_000_000_000L, 5_000_000_000L);
        long d = delivered.get();
        double s = (lastDelivery.get() - t0) / 1e9;
        r.put("sub_delivered", Long.toString(d));
        r.put("sub_seconds", f(s));
        r.put("sub_rate", f0(d / s));
      }
      if (counter != null) {
        awaitKafka(counter::count, acked, counter, timeoutMs);
        counter.stop();
        int c = counter.count();
        double s = (counter.lastNanos() - t0) / 1e9;
        r.put("kafka_count", Integer.toString(c));
        r.put("kafka_seconds", f(s));
        r.put("kafka_rate", f0(c / s));
        r.put("kafka_avg_value_bytes", Long.toString(counter.avgValueBytes()));
        putPct(r, "kafka", counter.latencies());
        Percentiles[] stages = counter.stages();
        putPct(r, "stage_ingest", stages[0]);
        putPct(r, "stage_send", stages[1]);
        putPct(r, "stage_consume", stages[2]);
        if (counter.error() != null) {
          r.put("kafka_error", String.valueOf(counter.error()).replace('\n', ' '));
        }
        if (c < acked) {
          exit = 1;
        }
      }
      r.put("loadgen_cpu_s", f((cpuNanos() - cpu0) / 1e9));
      r.put("loadgen_wall_s", f((System.nanoTime() - t0) / 1e9));
    } catch (Exception e) {
      r.put("error", e.toString().replace('\n', ' '));
      exit = 1;
    } finally {
      pubs.forEach(Publisher::close);
      if (sub != null) {
        MqttClient s = sub;
        vertx.runOnContext(v -> s.disconnect());
      }
      Thread.sleep(200);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    StringBuilder sb = new StringBuilder();
    r.forEach((k, v) -> sb.append(k).append('=').append(v.contains(" ") ? "'" + v.replace("'", "") + "'" : v).append('\n'));
    PrintStream stdout = System.out;
    stdout.print(sb);
    if (out != null) {
      Files.writeString(out, sb.toString());
    }
    return exit;
  }

  /** {@link #awaitCount} of a Kafka count: until the counter fails, the timeout, or 30 s without progress. */
  private static void awaitKafka(LongSupplier count, long target, KafkaCounter counter, long timeoutMs)
      throws InterruptedException {
    awaitCount(count, target, () -> counter.error() != null,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs), 30_000_000_000L);
  }

  /**
   * Waits until {@code count} reaches {@code target}, {@code failed} holds, {@code deadlineNanos}
   * ({@link System#nanoTime}) passes, or {@code idleNanos} pass without the count moving.
   */
  private static void awaitCount(LongSupplier count, long target, BooleanSupplier failed, long deadlineNanos,
      long idleNanos) throws InterruptedException {
    long last = count.getAsLong();
    long idleSince = System.nanoTime();
    while (count.getAsLong() < target && System.nanoTime() < deadlineNanos && !failed.getAsBoolean()) {
      Thread.sleep(20);
      long c = count.getAsLong();
      if (c != last) {
        last = c;
        idleSince = System.nanoTime();
      } else if (System.nanoTime() - idleSince > idleNanos) {
        break;
      }
    }
  }

  /** Publishes {@code messages} unmeasured, on connections of their own, and closes them. */
  private static void warmUp(Vertx vertx, String host, int port, int qos, String prefix, String tag, int payload,
      int window, int clients, int messages, double rate, long timeoutMs) throws Exception {
    List<Publisher> pubs = publishers(vertx, host, port, qos, prefix, tag, payload, window, clients, messages, rate);
    try {
      connect(pubs);
      List<Future<Void>> runs = new ArrayList<>();
      pubs.forEach(p -> runs.add(p.run()));
      await(Future.all(runs), timeoutMs);
    } finally {
      pubs.forEach(Publisher::close);
    }
  }

  /**
   * {@code clients} publishers sharing {@code messages} and {@code rate}; each records every
   * n-th PUBACK latency, n the same for all ({@link Percentiles#stride} of {@code messages}).
   */
  private static List<Publisher> publishers(Vertx vertx, String host, int port, int qos, String prefix, String tag,
      int payload, int window, int clients, int messages, double rate) {
    int stride = Percentiles.stride(messages);
    List<Publisher> pubs = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      long quota = messages / clients + (i < messages % clients ? 1 : 0);
      pubs.add(new Publisher(vertx, i, host, port, qos, prefix, tag, payload, window, quota, rate / clients, stride));
    }
    return pubs;
  }

  private static void connect(List<Publisher> pubs) throws Exception {
    List<Future<Void>> connects = new ArrayList<>();
    pubs.forEach(p -> connects.add(p.connect()));
    await(Future.all(connects), 30_000);
  }

  private static void putPct(Map<String, String> r, String name, Percentiles p) {
    r.put(name + "_samples", Integer.toString(p.count()));
    r.put(name + "_p50_ms", p.ms(0.50));
    r.put(name + "_p95_ms", p.ms(0.95));
    r.put(name + "_p99_ms", p.ms(0.99));
    r.put(name + "_p999_ms", p.ms(0.999));
    r.put(name + "_max_ms", p.count() == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", p.max() / 1e6));
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static <T> T await(Future<T> f, long ms) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String f0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }
}
