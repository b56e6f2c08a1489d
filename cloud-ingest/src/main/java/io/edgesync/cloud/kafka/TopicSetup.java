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
  /** Compacted, one partition: rollouts per group and node config reports (docs/CLOUD.md). */
  public static final String CONFIG = "edge.config";

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /**
   * Creates the missing topics.
   *
   * @param timeoutMs bound for the whole operation
   * @throws IllegalStateException when Kafka does not answer in time or refuses
   */
  public static void ensureTopics(String bootstrap, int partitions, short replicationFactor, long timeoutMs) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, 30_000));
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String t : List.of(EVENTS, ALERTS, DEADLETTER)) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, partitions, replicationFactor));
        }
      }
      for (String t : List.of(WATERMARKS, CONFIG)) {
        if (!existing.contains(t)) {
          missing.add(new NewTopic(t, 1, replicationFactor)
              .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        }
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
