package io.edgesync.cloud.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics cloud-ingest writes, when missing. Idempotent: existing topics are left as
 * they are (their partition count is never changed).
 *
 * <p>Blocking; call from a worker thread.
 */
public final class TopicSetup {
  /** Events from the edges, one record per event id (SPEC §4). */
  public static final String EVENTS = "edge.events";
  /** Alerts from edge rules. */
  public static final String ALERTS = "edge.alerts";
  /** Dead letters from the edges, with a {@code reason} header. */
  public static final String DEADLETTER = "edge.deadletter";
  /** Compacted: key {@code nodeId/class}, value the committed class watermark. */
  public static final String WATERMARKS = "edge.watermarks";
  /**
   * Never written: its partitions are the shards of the nodes, handed out to the ingest instances
   * by the consumer group ({@link ShardedWriter}).
   */
  public static final String SHARDS = "edge.ingest-shards";
  /** Compacted, one partition: rollouts per group and node config reports (docs/CLOUD.md). */
  public static final String CONFIG = "edge.config";

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Creates the missing topics.
   *
   * @param base              bootstrap servers and client (security) settings
   * @param partitions        of the event, alert and dead-letter topics
   * @param shards            partitions of {@link #SHARDS}
   * @param minInsyncReplicas {@code min.insync.replicas} of every topic created
   * @param timeoutMs         bound for the whole operation
   * @throws IllegalStateException when Kafka does not answer in time or refuses
   */
  public static void ensureTopics(Properties base, int partitions, int shards, short replicationFactor,
      int minInsyncReplicas, long timeoutMs) {
    Properties p = new Properties();
    p.putAll(base);
    String bootstrap = p.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      String minIsr = Integer.toString(minInsyncReplicas);
      for (String t : List.of(EVENTS, ALERTS, DEADLETTER)) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, partitions, replicationFactor)
              .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minIsr)));
        }
      }
      for (String t : List.of(WATERMARKS, CONFIG)) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, 1, replicationFactor)
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                  TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minIsr)));
        }
      }
      if (!existing.contains(SHARDS)) {
        missing.add(new NewTopic(SHARDS, shards, replicationFactor));
      }
      if (missing.isEmpty()) {
        return;
      }
      for (var e : admin.createTopics(missing).values().entrySet()) {
        try {
          e.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
          LOG.info("created topic {}", e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw ex;
          }
        }
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("Kafka at " + bootstrap + " refused to create topics: " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within " + timeoutMs + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}
