package io.edgesync.cloud.kafka;

import io.edgesync.cloud.kafka.NodeWatermarks.Key;
import io.edgesync.cloud.kafka.NodeWatermarks.Watermark;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the nodes over the ingest instances with Kafka's own group membership, and writes each
 * shard with its own fenced transactional producer.
 *
 * <p>The nodes are split into shards ({@link ShardMap}: murmur2 of the node id modulo the partition
 * count of {@code edge.ingest-shards}). Every instance joins the consumer group {@code groupId} on
 * that (empty) topic; the partitions the group assigns to an instance are the shards it writes
 * for. For each owned shard p it runs a {@link KafkaEventWriter} whose transactional id is
 * {@code <prefix>-shard-<p>}: taking a shard runs {@code initTransactions} for that id, which
 * fences the previous owner (even a paused one that still believes it owns the shard) and settles
 * its open transaction before the new owner loads the watermarks. So at most one producer can
 * commit for a node at any time, whatever the group thinks: the group gives the spread and the
 * fail-over, the transactional id gives the exactly-once.
 *
 * <p>A batch for a shard this instance does not own is answered {@link WriteOutcome#notOwner}
 * (421): the edge tries its next endpoint. When an instance dies, the group gives its shards to the
 * others after {@code sessionTimeoutMs}; a clean stop hands them over at once (the consumer leaves
 * the group).
 *
 * <p>Threads: one "kafka-shard-owner" thread runs the group consumer and the rebalance callbacks;
 * one thread per owned shard writes. {@link #submit} and the getters are safe from any thread.
 */
public final class ShardedWriter {
  /**
   * @param groupId          the consumer group of every instance of one cloud tier
   * @param sessionTimeoutMs how long a silent instance keeps its shards (classic group protocol)
   */
  public record ShardOptions(String groupId, long sessionTimeoutMs) {
    public ShardOptions {
      Objects.requireNonNull(groupId, "groupId");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(ShardedWriter.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final Vertx vertx;
  private final WriterOptions base;
  private final ShardOptions shardOptions;
  private final WriterMetrics metrics;
  private final Map<Integer, KafkaEventWriter> writers = new ConcurrentHashMap<>();
  private volatile int shardCount;
  private volatile boolean joined;
  private volatile boolean running;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private Thread thread;
  private Promise<Void> started;
  private Promise<Void> stopped;

  /**
   * @param base the writers' settings; its transactional id is the prefix of the shards' ids and
   *     must be the same on every instance of the cloud tier
   */
  public ShardedWriter(Vertx vertx, WriterOptions base, ShardOptions shardOptions, MeterRegistry registry) {
    this.vertx = vertx;
    this.base = base;
    this.shardOptions = shardOptions;
    this.metrics = new WriterMetrics(registry);
    metrics.gauges(this::queueDepth, () -> writers.values().stream().mapToInt(KafkaEventWriter::parkedCount).sum(),
        () -> state() == KafkaEventWriter.State.READY ? 1 : 0, writers::size);
  }

  /**
   * Joins the group and starts the writers of the shards it assigns.
   *
   * @return completes once the group assigned this instance its shards (possibly none) and their
   *     writers are ready; fails when that takes longer than {@code timeoutMs}
   */
  public synchronized Future<Void> start() {
    if (thread != null) {
      return Future.failedFuture(new IllegalStateException("already started"));
    }
    Context ctx = vertx.getOrCreateContext();
    started = Promise.promise();
    stopped = Promise.promise();
    running = true;
    thread = new Thread(() -> run(ctx), "kafka-shard-owner");
    thread.start();
    return started.future();
  }

  /**
   * Hands a batch to the writer of its node's shard; never blocks.
   *
   * @return the outcome (421 NOT_OWNER when another instance owns the shard); never a failed future
   */
  public Future<WriteOutcome> submit(PreparedBatch batch) {
    int shards = shardCount;
    if (shards == 0 || !joined) {
      return Future.succeededFuture(WriteOutcome.unavailable("cloud-ingest is joining its group"));
    }
    int shard = ShardMap.shardOf(batch.nodeId(), shards);
    KafkaEventWriter w = writers.get(shard);
    if (w == null) {
      metrics.notOwner.increment();
      return Future.succeededFuture(WriteOutcome.notOwner("shard " + shard + " of " + shards
          + " (node " + batch.nodeId() + ") is written by another cloud-ingest instance; try the next endpoint"));
    }
    return w.submit(batch);
  }

  /**
   * The committed watermarks of one node, or null when another instance owns its shard.
   */
  public Map<Priority, Long> watermarksOf(String nodeId) {
    KafkaEventWriter w = writerOf(nodeId);
    return w == null ? null : w.watermarks().forNode(nodeId);
  }

  /** The writer of {@code nodeId}'s shard, or null when this instance does not own it (or has not joined). */
  private KafkaEventWriter writerOf(String nodeId) {
    int shards = shardCount;
    return shards == 0 ? null : writers.get(ShardMap.shardOf(nodeId, shards));
  }

  /** The committed watermarks of every node of the owned shards. */
  public Map<Key, Watermark> watermarkSnapshot() {
    Map<Key, Watermark> out = new HashMap<>();
    for (KafkaEventWriter w : writers.values()) {
      out.putAll(w.watermarks().snapshot());
    }
    return out;
  }

  /**
   * READY when the instance joined its group and the writer of every owned shard is ready (an
   * instance that owns no shard is a ready stand-by); STARTING before; RECOVERING while a writer
   * re-creates its producer.
   */
  public KafkaEventWriter.State state() {
    if (!running) {
      return thread == null ? KafkaEventWriter.State.NEW : KafkaEventWriter.State.STOPPED;
    }
    if (!joined) {
      return KafkaEventWriter.State.STARTING;
    }
    for (KafkaEventWriter w : writers.values()) {
      if (w.state() != KafkaEventWriter.State.READY) {
        return KafkaEventWriter.State.RECOVERING;
      }
    }
    return KafkaEventWriter.State.READY;
  }

  /** 0..1: how full the queue of the writer of {@code nodeId}'s shard is (0 when not owned). */
  public double queueFill(String nodeId) {
    KafkaEventWriter w = writerOf(nodeId);
    return w == null ? 0 : (double) w.queueDepth() / base.queueCapacity();
  }

  /** Batches queued over all owned shards. */
  public int queueDepth() {
    return writers.values().stream().mapToInt(KafkaEventWriter::queueDepth).sum();
  }

  /** The shards this instance writes for, ascending. */
  public List<Integer> ownedShards() {
    return new ArrayList<>(new TreeSet<>(writers.keySet()));
  }

  /** The partition count of {@code edge.ingest-shards} (0 before start). */
  public int shardCount() {
    return shardCount;
  }

  /**
   * Leaves the group (the other instances take the shards at once), stops every writer (their
   * current transactions complete; queued batches get 503). Idempotent.
   */
  public synchronized Future<Void> stop() {
    if (thread == null) {
      return Future.succeededFuture();
    }
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    return stopped.future();
  }

  // ---------------------------------------------------------------- owner thread

  private void run(Context ctx) {
    // a restarted instance waits for the group to drop its dead predecessor (session timeout)
    long startWithinMs = base.timeoutMs() + shardOptions.sessionTimeoutMs();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startWithinMs);
    KafkaConsumer<byte[], byte[]> c = null;
    try {
      c = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<PartitionInfo> parts = c.partitionsFor(TopicSetup.SHARDS, Duration.ofMillis(base.timeoutMs()));
      if (parts == null || parts.isEmpty()) {
        throw new IllegalStateException("topic " + TopicSetup.SHARDS + " does not exist");
      }
      shardCount = parts.size();
      consumer = c;
      c.subscribe(List.of(TopicSetup.SHARDS), new Listener());
      LOG.info("joining group {} for {} shards", shardOptions.groupId(), shardCount);
      while (running) {
        try {
          c.poll(POLL); // the topic stays empty: polling keeps the membership and runs the callbacks
        } catch (WakeupException e) {
          continue;
        } catch (KafkaException e) {
          LOG.warn("group {}: {}", shardOptions.groupId(), e.toString());
          sleep(base.retryInitialMs());
        }
        if (!started.future().isComplete()) {
          if (joined && allReady()) {
            ctx.runOnContext(v -> started.tryComplete());
          } else if (System.nanoTime() > deadline) {
            String why = joined ? "the writers of shards " + ownedShards() + " are not ready"
                : "the group " + shardOptions.groupId() + " did not assign shards";
            ctx.runOnContext(v -> started.tryFail(new IllegalStateException(
                "Kafka at " + base.bootstrap() + " is not usable: " + why + " within " + startWithinMs + " ms")));
            break;
          }
        }
      }
    } catch (Exception e) {
      ctx.runOnContext(v -> started.tryFail(new IllegalStateException(
          "Kafka at " + base.bootstrap() + " is not usable: " + e, e)));
    } finally {
      running = false;
      if (c != null) {
        try {
          c.close(Duration.ofSeconds(5)); // leaves the group: revocation callbacks stop the writers
        } catch (Exception e) {
          LOG.debug("closing the group consumer: {}", e.toString());
        }
      }
      stopWriters(new ArrayList<>(writers.keySet()), true);
      ctx.runOnContext(v -> {
        started.tryFail(new IllegalStateException("stopped"));
        stopped.tryComplete();
      });
    }
  }

  private Properties consumerProperties() {
    Properties p = base.kafkaProperties();
    p.put(ConsumerConfig.GROUP_ID_CONFIG, shardOptions.groupId());
    // classic: the client chooses the session timeout (the consumer protocol's is a broker setting)
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) shardOptions.sessionTimeoutMs());
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, shardOptions.sessionTimeoutMs() / 4));
    // also the rebalance timeout: a revocation callback waits for the writers' last transactions
    p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) (2 * base.timeoutMs() + 10_000));
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) base.timeoutMs());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "cloud-ingest-shard-owner");
    return p;
  }

  private boolean allReady() {
    for (KafkaEventWriter w : writers.values()) {
      if (w.state() != KafkaEventWriter.State.READY) {
        return false;
      }
    }
    return true;
  }

  /** Runs on the owner thread, inside {@code poll}. */
  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      joined = true;
      for (TopicPartition tp : partitions) {
        int shard = tp.partition();
        if (writers.containsKey(shard)) {
          continue;
        }
        WriterOptions o = base.withTransactionalId(base.transactionalId() + "-shard-" + shard);
        int shards = shardCount;
        KafkaEventWriter w = new KafkaEventWriter(vertx, o, metrics, node -> ShardMap.shardOf(node, shards) == shard);
        writers.put(shard, w);
        w.start().onFailure(e -> LOG.debug("writer of shard {}: {}", shard, e.toString()));
      }
      if (!partitions.isEmpty()) {
        LOG.info("took shards {}; now writing for shards {} of {}", shards(partitions), ownedShards(), shardCount);
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        LOG.info("handing over shards {}", shards(partitions));
        stopWriters(shards(partitions), true);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        LOG.warn("lost shards {} (this instance missed its group session); their producers are fenced by the new owner",
            shards(partitions));
        stopWriters(shards(partitions), false);
      }
    }
  }

  private static List<Integer> shards(Collection<TopicPartition> partitions) {
    List<Integer> out = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      out.add(tp.partition());
    }
    out.sort(null);
    return out;
  }

  /** Stops the writers of {@code shards}; waits (bounded) for their last transactions when asked. */
  private void stopWriters(List<Integer> shards, boolean wait) {
    List<Future<Void>> stops = new ArrayList<>();
    for (int s : shards) {
      KafkaEventWriter w = writers.remove(s);
      if (w != null) {
        stops.add(w.stop());
      }
    }
    if (!wait || stops.isEmpty()) {
      return;
    }
    try {
      Future.join(stops).toCompletionStage().toCompletableFuture()
          .get(base.timeoutMs() + 5000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("writers of shards {} did not stop in time: {}", shards, e.toString());
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
