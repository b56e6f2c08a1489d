package io.edgesync.cloud.kafka;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches {@code edge.events} for events Kafka holds but {@code read_committed} consumers cannot
 * see: a partition whose last stable offset stays below its high watermark, unmoved, for longer
 * than any transaction of ours may stay open (Kafka aborts one after {@code
 * transaction.timeout.ms}) is held by a hanging transaction. Every event after that offset is in
 * Kafka, committed for the edge (which has released it), and invisible downstream until the
 * transaction is resolved at the broker (docs/OPERATIONS.md, "Troubleshooting").
 *
 * <p>Checks on a worker every {@code periodMs} with one Admin client; reports through {@link
 * #stuck()} (cloud {@code /health}), the gauge {@code cloud_kafka_partitions_stuck} and one
 * warning per stuck partition.
 */
public final class StuckPartitionWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StuckPartitionWatch.class);

  private final Vertx vertx;
  private final Properties adminProperties;
  private final long periodMs;
  private final long stuckAfterMs;
  private final LongSupplier clock;
  private final String topic;
  /** Worker only (checks run one at a time). */
  private final Map<TopicPartition, Stall> stalls = new HashMap<>();
  private volatile List<JsonObject> stuck = List.of();
  private volatile boolean checking;
  private volatile boolean closed;
  private Admin admin;
  private long timer = -1;

  /** A partition whose last stable offset was {@code lso} (below {@code hw}) since {@code sinceMs}. */
  private record Stall(long lso, long sinceMs, boolean warned) {}

  /**
   * @param kafka        bootstrap servers and client (security) settings
   * @param periodMs     between checks
   * @param stuckAfterMs how long a last stable offset may stay below the high watermark
   */
  public StuckPartitionWatch(Vertx vertx, Properties kafka, String topic, long periodMs, long stuckAfterMs,
      MeterRegistry registry) {
    this.vertx = vertx;
    this.adminProperties = new Properties();
    adminProperties.putAll(kafka);
    adminProperties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(periodMs, 30_000));
    adminProperties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(periodMs, 30_000));
    adminProperties.put(AdminClientConfig.CLIENT_ID_CONFIG, "cloud-ingest-stuck-partition-watch");
    this.topic = topic;
    this.periodMs = periodMs;
    this.stuckAfterMs = stuckAfterMs;
    this.clock = System::currentTimeMillis;
    Gauge.builder("cloud_kafka_partitions_stuck", this, w -> w.stuck.size())
        .description("partitions of edge.events whose last stable offset has stayed below the high watermark "
            + "longer than a transaction may stay open (a hanging transaction hides the events after it)")
        .register(registry);
  }

  public void start() {
    timer = vertx.setPeriodic(periodMs, id -> check());
  }

  /** The stuck partitions at the last check: partition, lastStableOffset, highWatermark, stuckSeconds. */
  public List<JsonObject> stuck() {
    return stuck;
  }

  private void check() {
    if (checking || closed) {
      return;
    }
    checking = true;
    vertx.executeBlocking(() -> {
      checkNow();
      return null;
    }).onComplete(ar -> {
      checking = false;
      if (ar.failed()) {
        // Kafka away: the writers report that; keep the last figures
        LOG.debug("stuck-partition check: {}", ar.cause().toString());
      }
    });
  }

  /** One check (blocking). */
  void checkNow() throws Exception {
    Admin admin = admin();
    if (admin == null) {
      return;
    }
    Map<TopicPartition, Offsets> offsets = offsets(admin, List.of(topic), periodMs);
    long now = clock.getAsLong();
    List<JsonObject> out = new ArrayList<>();
    for (Map.Entry<TopicPartition, Offsets> e : offsets.entrySet()) {
      TopicPartition tp = e.getKey();
      long high = e.getValue().highWatermark();
      long stable = e.getValue().lastStable();
      Stall s = stalls.get(tp);
      if (stable >= high) {
        if (s != null && s.warned()) {
          LOG.info("{}: the last stable offset caught up with the high watermark ({}): the events after offset {} "
              + "are visible again", tp, high, s.lso());
        }
        stalls.remove(tp);
        continue;
      }
      if (s == null || s.lso() != stable) {
        stalls.put(tp, new Stall(stable, now, false));
        continue;
      }
      long stuckMs = now - s.sinceMs();
      if (stuckMs < stuckAfterMs) {
        continue;
      }
      if (!s.warned()) {
        LOG.warn("{}: the last stable offset has stayed at {} for {} s while the high watermark is {}: a hanging "
            + "transaction hides the {} records after it from read_committed consumers (they are in Kafka); see "
            + "docs/OPERATIONS.md, Troubleshooting", tp, stable, stuckMs / 1000, high, high - stable);
        stalls.put(tp, new Stall(stable, s.sinceMs(), true));
      }
      out.add(new JsonObject().put("partition", tp.toString()).put("lastStableOffset", stable)
          .put("highWatermark", high).put("stuckSeconds", stuckMs / 1000));
    }
    stuck = List.copyOf(out);
  }

  /** A partition's last stable offset (what read_committed readers can reach) and high watermark. */
  public record Offsets(long lastStable, long highWatermark) {}

  /** The last stable offset and high watermark of every partition of {@code topics}, in partition order (blocking). */
  public static Map<TopicPartition, Offsets> offsets(Admin admin, List<String> topics, long timeoutMs)
      throws Exception {
    List<TopicPartition> parts = new ArrayList<>();
    admin.describeTopics(topics).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS)
        .forEach((t, d) -> d.partitions().forEach(i -> parts.add(new TopicPartition(t, i.partition()))));
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    parts.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResultInfo> hw = admin.listOffsets(latest).all()
        .get(timeoutMs, TimeUnit.MILLISECONDS);
    Map<TopicPartition, ListOffsetsResultInfo> lso = admin.listOffsets(latest,
        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
    Map<TopicPartition, Offsets> out = new LinkedHashMap<>();
    for (TopicPartition tp : parts) {
      out.put(tp, new Offsets(lso.get(tp).offset(), hw.get(tp).offset()));
    }
    return out;
  }

  private synchronized Admin admin() {
    if (admin == null && !closed) {
      admin = Admin.create(adminProperties);
    }
    return admin;
  }

  /** Stops the checks and closes the Admin client (blocking, up to 2 s). */
  @Override
  public synchronized void close() {
    closed = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (admin != null) {
      admin.close(Duration.ofSeconds(2));
    }
  }
}
