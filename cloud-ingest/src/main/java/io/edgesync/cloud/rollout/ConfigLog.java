package io.edgesync.cloud.rollout;

import io.edgesync.cloud.ingest.IngestError;
import io.edgesync.cloud.kafka.TopicSetup;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The desired-config state of the fleet, kept in the compacted topic {@code edge.config} (one
 * partition) so that any cloud-ingest instance can serve it, and cached in memory. Keys:
 * {@code rollout/<group>} (value: {@link Rollout#toJson()}) and {@code node/<id>} (value:
 * {@link NodeReport#toJson()}). For each key the record with the highest offset wins, whether it
 * arrives through the follower or through this instance's own write.
 *
 * <p>Threads: ONE dedicated thread ({@code cloud-config-log}) owns the consumer, follows the
 * topic, and runs every change ({@link #update}) one at a time, so that two operator requests on
 * this instance never interleave; the producer's send is awaited on that thread. Readers
 * ({@link #rollout}, {@link #report}) are non-blocking and any thread may call them. Changes are
 * queued (at most {@value #MAX_PENDING}; beyond: failed with 503). Two instances changing the same
 * group at the same moment: the later record wins (documented in docs/CLOUD.md).
 */
public final class ConfigLog implements AutoCloseable {
  static final int MAX_PENDING = 256;
  /** Most groups with a rollout; a new group beyond it is refused. */
  public static final int MAX_GROUPS = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLog.class);
  private static final String ROLLOUT = "rollout/";
  private static final String NODE = "node/";

  private record Entry<T>(T value, long offset) {}

  /** A change: computes the records to write from the current cache (on the log thread). */
  private record Change<T>(Function<ConfigLog, Write<T>> plan, Promise<T> promise, Context context) {}

  /** Records to write and the result to complete with once they are acknowledged. */
  public record Write<T>(List<Rollout> rollouts, List<NodeReport> reports, T result) {
    public Write {
      rollouts = List.copyOf(rollouts);
      reports = List.copyOf(reports);
    }
  }

  /** Bootstrap servers and client (security) settings. */
  private final Properties base;
  private final long timeoutMs;
  private final Vertx vertx;
  private final Map<String, Entry<Rollout>> rollouts = new ConcurrentHashMap<>();
  private final Map<String, Entry<NodeReport>> reports = new ConcurrentHashMap<>();
  /** node → group, over every cached rollout's node list. */
  private final Map<String, String> groupOfNode = new ConcurrentHashMap<>();
  private final BlockingQueue<Change<?>> changes = new ArrayBlockingQueue<>(MAX_PENDING);
  private final Promise<Void> loaded = Promise.promise();
  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private Thread thread;

  /**
   * @param base      bootstrap servers and client (security) settings, e.g. from {@code kafka.clientProperties}
   * @param timeoutMs bound of every blocking Kafka call (initial load, send)
   */
  public ConfigLog(Vertx vertx, Properties base, long timeoutMs) {
    this.vertx = vertx;
    this.base = base;
    this.timeoutMs = timeoutMs;
  }

  /** Starts the thread; completes once the topic has been read up to its end (bounded by the timeout). */
  public Future<Void> start() {
    Context ctx = vertx.getOrCreateContext();
    thread = new Thread(this::run, "cloud-config-log");
    thread.setDaemon(true);
    thread.start();
    Promise<Void> onContext = Promise.promise();
    loaded.future().onComplete(ar -> ctx.runOnContext(v -> onContext.handle(ar)));
    return onContext.future();
  }

  /** Stops following; pending changes fail. Idempotent; blocking for up to a few seconds. */
  @Override
  public void close() {
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    Thread t = thread;
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ reads (any thread)

  /** The latest rollout of {@code group}, or null. */
  public Rollout rollout(String group) {
    Entry<Rollout> e = rollouts.get(group);
    return e == null ? null : e.value();
  }

  /** Every group's latest rollout, unordered. */
  public List<Rollout> rollouts() {
    return rollouts.values().stream().map(Entry::value).toList();
  }

  /** The group whose latest rollout lists {@code node} (the most recently started one), or null. */
  public String groupOf(String node) {
    return groupOfNode.get(node);
  }

  /** The last recorded report of {@code node}, or null. */
  public NodeReport report(String node) {
    Entry<NodeReport> e = reports.get(node);
    return e == null ? null : e.value();
  }

  // ------------------------------------------------------------------ changes

  /**
   * Runs {@code plan} on the log thread against the current cache, writes the records it returns,
   * waits for Kafka's acknowledgement, applies them to the cache and completes with the plan's
   * result on the caller's context. A {@link IngestError} thrown by the plan fails the future
   * as it is; a Kafka failure fails it with 503.
   */
  public <T> Future<T> update(Function<ConfigLog, Write<T>> plan) {
    Context ctx = vertx.getOrCreateContext();
    Promise<T> p = Promise.promise();
    if (!running || !changes.offer(new Change<>(plan, p, ctx))) {
      return Future.failedFuture(new IngestError(503, "UNAVAILABLE",
          running ? "too many config changes waiting" : "stopping"));
    }
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null && loaded.future().succeeded()) {
      // the initial load must not be interrupted; after it, a wakeup ends the follower's poll early
      c.wakeup();
    }
    return p.future();
  }

  // ------------------------------------------------------------------ the log thread

  private void run() {
    try {
      producer = new KafkaProducer<>(producerProps(), new ByteArraySerializer(), new ByteArraySerializer());
      consumer = new KafkaConsumer<>(consumerProps(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      TopicPartition tp = new TopicPartition(TopicSetup.CONFIG, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp), Duration.ofMillis(timeoutMs)).get(tp);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      long records = 0;
      while (consumer.position(tp, Duration.ofMillis(timeoutMs)) < end) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + TopicSetup.CONFIG + " took longer than " + timeoutMs + " ms");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(r.key(), r.value(), r.offset());
          records++;
        }
      }
      LOG.info("loaded {} rollouts and {} node reports from {} records of {}", rollouts.size(), reports.size(),
          records, TopicSetup.CONFIG);
      loaded.complete();
    } catch (RuntimeException e) {
      loaded.tryFail(new IllegalStateException(TopicSetup.CONFIG + ": " + e.getMessage(), e));
      closeClients();
      return;
    }
    while (running) {
      Change<?> c;
      while (running && (c = changes.poll()) != null) {
        runChange(c);
      }
      try {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          apply(r.key(), r.value(), r.offset());
        }
      } catch (WakeupException e) {
        // a change was queued, or close() was called
      } catch (RuntimeException e) {
        LOG.warn("following {} failed, retrying in 1 s: {}", TopicSetup.CONFIG, e.toString());
        sleepQuietly(1000);
      }
    }
    Change<?> c;
    while ((c = changes.poll()) != null) {
      fail(c, new IngestError(503, "UNAVAILABLE", "stopping"));
    }
    closeClients();
  }

  private <T> void runChange(Change<T> c) {
    Write<T> w;
    try {
      w = c.plan().apply(this);
    } catch (RuntimeException e) {
      fail(c, e);
      return;
    }
    try {
      for (Rollout r : w.rollouts()) {
        RecordMetadata m = send(ROLLOUT + r.group(), r.toJson());
        put(rollouts, r.group(), r, m.offset());
        indexNodes(r);
      }
      for (NodeReport r : w.reports()) {
        RecordMetadata m = send(NODE + r.node(), r.toJson());
        put(reports, r.node(), r, m.offset());
      }
    } catch (RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.warn("writing to {} failed: {}", TopicSetup.CONFIG, e.toString());
      fail(c, new IngestError(503, "UNAVAILABLE", "Kafka did not take the change: " + e.getMessage()));
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(c, new IngestError(503, "UNAVAILABLE", "interrupted"));
      return;
    }
    T result = w.result();
    c.context().runOnContext(v -> c.promise().complete(result));
  }

  private static void fail(Change<?> c, Throwable t) {
    c.context().runOnContext(v -> c.promise().fail(t));
  }

  private RecordMetadata send(String key, JsonObject value)
      throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
    return producer.send(new ProducerRecord<>(TopicSetup.CONFIG, 0, key.getBytes(StandardCharsets.UTF_8),
        value.toBuffer().getBytes())).get(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private void apply(byte[] k, byte[] v, long offset) {
    if (k == null) {
      return;
    }
    String key = new String(k, StandardCharsets.UTF_8);
    try {
      if (key.startsWith(ROLLOUT)) {
        String group = key.substring(ROLLOUT.length());
        if (v == null) {
          rollouts.remove(group);
          return;
        }
        Rollout r = Rollout.fromJson(new JsonObject(io.vertx.core.buffer.Buffer.buffer(v)));
        if (put(rollouts, group, r, offset)) {
          indexNodes(r);
        }
      } else if (key.startsWith(NODE)) {
        String node = key.substring(NODE.length());
        if (v == null) {
          reports.remove(node);
          return;
        }
        put(reports, node, NodeReport.fromJson(new JsonObject(io.vertx.core.buffer.Buffer.buffer(v))), offset);
      } else {
        LOG.warn("ignoring {} record with unknown key {}", TopicSetup.CONFIG, key);
      }
    } catch (RuntimeException e) {
      LOG.warn("ignoring malformed {} record {} at offset {}: {}", TopicSetup.CONFIG, key, offset, e.toString());
    }
  }

  /** Keeps the record with the highest offset. */
  private static <T> boolean put(Map<String, Entry<T>> map, String key, T value, long offset) {
    boolean[] changed = {false};
    map.compute(key, (k, old) -> {
      if (old != null && old.offset() >= offset) {
        return old;
      }
      changed[0] = true;
      return new Entry<>(value, offset);
    });
    return changed[0];
  }

  /** A node listed by several groups' rollouts belongs to the group whose rollout started last. */
  private void indexNodes(Rollout r) {
    for (String n : r.nodes()) {
      groupOfNode.merge(n, r.group(), (old, neu) -> {
        Rollout o = rollout(old);
        return o == null || old.equals(neu) || o.createdAtMs() <= r.createdAtMs() ? neu : old;
      });
    }
  }

  private Properties producerProps() {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeoutMs);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeoutMs, Math.min(timeoutMs, 30_000) + 5));
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "cloud-ingest-config-writer");
    return p;
  }

  private Properties consumerProps() {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "cloud-ingest-config-follower");
    return p;
  }

  private void closeClients() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(2));
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(2));
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
