package io.edgesync.cloud.app;

import io.edgesync.cloud.dashboard.DashboardServer;
import io.edgesync.cloud.dashboard.FleetRegistry;
import io.edgesync.cloud.ingest.Admission;
import io.edgesync.cloud.ingest.IngestOptions;
import io.edgesync.cloud.ingest.IngestServer;
import io.edgesync.cloud.ingest.NodeActivity;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.kafka.NodeWatermarks;
import io.edgesync.cloud.kafka.ShardedWriter;
import io.edgesync.cloud.kafka.StuckPartitionWatch;
import io.edgesync.cloud.kafka.TopicSetup;
import io.edgesync.cloud.kafka.WriterOptions;
import io.edgesync.cloud.rollout.ConfigLog;
import io.edgesync.cloud.rollout.RolloutService;
import io.edgesync.metrics.ProcessMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one cloud-ingest instance: Vert.x with Micrometer metrics, the embedded broker (only when
 * {@code kafka.bootstrap} is empty), topics, the exactly-once Kafka writer, the mTLS ingest
 * endpoint and the dashboard. {@link #stop()} releases them in reverse order. This is the only
 * class that knows every component.
 *
 * <p>Not thread-safe: call start and stop from one thread (the main thread or a shutdown hook).
 */
public final class CloudIngest {
  private static final Logger LOG = LoggerFactory.getLogger(CloudIngest.class);
  private static final long SHUTDOWN_GRACE_MS = 5000;
  private static final long STOP_TIMEOUT_S = 20;
  /** Between checks for a partition of edge.events held by a hanging transaction. */
  private static final long STUCK_CHECK_MS = 30_000;

  private final CloudConfig config;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final NodeActivity activity = new NodeActivity();
  private final FleetRegistry fleet = new FleetRegistry(activity, System::currentTimeMillis,
      FleetRegistry.DEFAULT_MAX_NODES, registry);
  private Vertx vertx;
  private EmbeddedKafka embedded;
  private ShardedWriter writer;
  private StuckPartitionWatch stuckPartitions;
  private ConfigLog configLog;
  private IngestServer ingest;
  private DashboardServer dashboard;
  private JvmGcMetrics gcMetrics;
  private String bootstrap;
  private boolean stopped;

  public CloudIngest(CloudConfig config) {
    this.config = config;
  }

  /**
   * Starts every component in order; on failure, stops what was started and fails.
   *
   * @return completes once the ingest endpoint and the dashboard listen
   */
  public Future<Void> start() {
    long t0 = System.nanoTime();
    new JvmMemoryMetrics().bindTo(registry);
    new ProcessMemoryMetrics().bindTo(registry); // RSS: heap, native memory and mapped files
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    vertx = Vertx.builder()
        // LOCAL: the ingest endpoint and the dashboard get separate server meters
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .addLabels(Label.LOCAL)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    Future<Void> kafka = config.embeddedKafka()
        ? vertx.executeBlocking(() -> {
          embedded = new EmbeddedKafka(config.embeddedKafkaOptions());
          embedded.start();
          bootstrap = embedded.bootstrap();
          return null;
        })
        : Future.succeededFuture().map(v -> {
          bootstrap = config.kafkaBootstrap();
          return null;
        });
    Future<Void> started = kafka
        .compose(v -> vertx.executeBlocking(() -> {
          TopicSetup.ensureTopics(config.writerOptions(bootstrap).kafkaProperties(), config.partitions(),
              config.shards(), config.replicationFactor(), config.minInsyncReplicas(), config.kafkaTimeoutMs());
          return null;
        }))
        .compose(v -> {
          writer = new ShardedWriter(vertx, config.writerOptions(bootstrap), config.shardOptions(), registry);
          return writer.start();
        })
        .compose(v -> {
          WriterOptions w = config.writerOptions(bootstrap);
          stuckPartitions = new StuckPartitionWatch(vertx, w.kafkaProperties(), TopicSetup.EVENTS,
              STUCK_CHECK_MS, 2 * w.transactionTimeoutMs(), registry);
          stuckPartitions.start();
          configLog = new ConfigLog(vertx, w.kafkaProperties(), config.kafkaTimeoutMs());
          return configLog.start();
        })
        .compose(v -> {
          ingest = new IngestServer(vertx, new IngestOptions(config.ingestHost(), config.ingestPort(),
              config.maxBatchBytes(), config.maxInflightBytes(), config.tlsCert(), config.tlsKey(), config.tlsCa(),
              config.tlsCrl(), config.crlPollMs()), writer, activity, registry).fleetHooks(fleet)
              .admission(new Admission(config.admissionMaxInFlight(), config.admissionEventsPerSec(), writer::queueFill,
                  activity));
          RolloutService rollouts = new RolloutService(configLog, System::currentTimeMillis, fleet::lastHeartbeat,
              registry);
          fleet.configHint(rollouts::onHeartbeat);
          ingest.rollouts(rollouts);
          return ingest.start().recover(e -> Future.failedFuture(new IllegalStateException(
              "ingest endpoint " + config.ingestHost() + ":" + config.ingestPort() + ": " + e.getMessage(), e)));
        })
        .compose(v -> {
          dashboard = new DashboardServer(vertx, config.httpHost(), config.httpPort(), registry, writer, fleet,
              kafkaDescription(), config.dashboardPeers()).stuckPartitions(stuckPartitions::stuck);
          return dashboard.start().recover(e -> Future.failedFuture(new IllegalStateException(
              "dashboard " + config.httpHost() + ":" + config.httpPort() + ": " + e.getMessage(), e)));
        })
        .onSuccess(v -> LOG.info("started in {} ms", (System.nanoTime() - t0) / 1_000_000));
    // not bound to a Vert.x context: on failure, stop() closes Vert.x itself
    Promise<Void> result = Promise.promise();
    started.onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete();
      } else {
        stop().onComplete(ignored -> result.fail(ar.cause()));
      }
    });
    return result.future();
  }

  /** One line per endpoint; printed by {@link CloudMain} once started. */
  public String readyLine() {
    return "cloud-ingest ready: ingest https://" + config.ingestHost() + ":" + ingestPort() + " (h2, mTLS), http http://"
        + config.httpHost() + ":" + httpPort() + ", kafka " + kafkaDescription();
  }

  private String kafkaDescription() {
    return bootstrap + (config.embeddedKafka() ? " (embedded)" : " (external)");
  }

  /** The bound ingest port (useful with port 0). */
  public int ingestPort() {
    return ingest.actualPort();
  }

  /** The bound dashboard port. */
  public int httpPort() {
    return dashboard.actualPort();
  }

  /** The bootstrap servers in use (the embedded broker's when embedded). */
  public String kafkaBootstrap() {
    return bootstrap;
  }

  /** A copy of the committed watermarks of the nodes of the shards this instance owns. */
  public NodeWatermarks watermarks() {
    return NodeWatermarks.of(writer.watermarkSnapshot());
  }

  /** The shards this instance writes for. */
  public java.util.List<Integer> ownedShards() {
    return writer.ownedShards();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The fleet view behind the dashboard. */
  public FleetRegistry fleet() {
    return fleet;
  }

  /**
   * Stops in reverse order: dashboard, ingest endpoint (in-flight requests finish), Kafka writer
   * (its last transaction completes), embedded broker, Vert.x. Idempotent; never fails.
   */
  public Future<Void> stop() {
    if (stopped || vertx == null) {
      return Future.succeededFuture();
    }
    stopped = true;
    long t0 = System.nanoTime();
    CompletableFuture<Void> done = new CompletableFuture<>();
    Future.<Void>succeededFuture()
        .eventually(() -> dashboard == null ? Future.succeededFuture() : dashboard.stop())
        .eventually(() -> ingest == null ? Future.succeededFuture() : ingest.stop(SHUTDOWN_GRACE_MS))
        .eventually(() -> configLog == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          configLog.close();
          return null;
        }))
        .eventually(() -> stuckPartitions == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          stuckPartitions.close();
          return null;
        }))
        .eventually(() -> writer == null ? Future.succeededFuture() : writer.stop())
        .eventually(() -> embedded == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          embedded.close();
          return null;
        }))
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.warn("stop: {}", ar.cause().toString());
          }
          // Vert.x is closed from a plain thread: a continuation scheduled on one of the event
          // loops being closed would be rejected and the caller would wait forever
          Thread closer = new Thread(() -> {
            try {
              vertx.close().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (Exception e) {
              LOG.warn("closing Vert.x: {}", e.toString());
            }
            gcMetrics.close();
            registry.close();
            LOG.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
            done.complete(null);
          }, "cloud-ingest-close");
          closer.start();
        });
    return Future.fromCompletionStage(done);
  }
}
