package io.edgesync.cloud.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka (KRaft, combined broker + controller) running inside this JVM, for
 * the demo and for tests. Listeners bind localhost only. The storage under {@link Options#logDir()}
 * is formatted on first use only (when {@code meta.properties} is absent), so a restart keeps
 * every topic, offset and transaction state.
 *
 * <p>Methods block (formatting, start-up and shutdown take about a second); call them from a
 * worker thread, never from an event loop. Not thread-safe: one owner starts and closes it.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  /**
   * @param logDir              the broker's log and metadata folder (created when missing)
   * @param port                client listener on localhost, 0 = a free port
   * @param controllerPort      KRaft controller listener on localhost, 0 = a free port
   * @param nodeId              this node's id in the quorum
   * @param quorumVoters        {@code id@host:port,...} of every controller, or null for this node alone
   * @param clusterId           the cluster id the storage is formatted with (the same on every
   *                            node of a cluster), or null for a random one
   * @param internalReplication replication factor of the internal topics (offsets, transactions);
   *                            their min.insync.replicas is one less (at least 1)
   */
  public record Options(Path logDir, int port, int controllerPort, int nodeId, String quorumVoters, String clusterId,
      int internalReplication) {
    public Options {
      Objects.requireNonNull(logDir, "logDir");
      if (internalReplication < 1) {
        throw new IllegalArgumentException("internalReplication must be >= 1");
      }
    }

    /** A single-node cluster: the demo's and the tests' broker. */
    public Options(Path logDir, int port, int controllerPort) {
      this(logDir, port, controllerPort, 1, null, null, 1);
    }
  }

  private final Options options;
  private KafkaRaftServer server;
  private int port;

  public EmbeddedKafka(Options options) {
    this.options = options;
  }

  /**
   * Formats the storage when new, then starts the broker. Returns once the broker started;
   * topic creation through an Admin client may still wait a few hundred ms for the controller.
   *
   * @throws IllegalStateException when formatting or start-up fails
   */
  public void start() {
    if (server != null) {
      return;
    }
    long t0 = System.nanoTime();
    port = options.port() == 0 ? freePort() : options.port();
    int controllerPort = options.controllerPort() == 0 ? freePort() : options.controllerPort();
    Path dir = options.logDir().toAbsolutePath();
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(options.nodeId()));
    p.put("controller.quorum.voters", options.quorumVoters() != null ? options.quorumVoters()
        : options.nodeId() + "@localhost:" + controllerPort);
    p.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
    p.put("log.dirs", dir.toString());
    String rf = Integer.toString(options.internalReplication());
    String minIsr = Integer.toString(Math.max(1, options.internalReplication() - 1));
    p.put("offsets.topic.replication.factor", rf);
    // few internal partitions: fast first start; must never change for an existing data dir
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", rf);
    p.put("transaction.state.log.min.isr", minIsr);
    p.put("share.coordinator.state.topic.replication.factor", rf);
    p.put("share.coordinator.state.topic.min.isr", minIsr);
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("background.threads", "4");
    // the default 128 MiB cleaner buffer would dwarf this process's heap
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
    try {
      Files.createDirectories(dir);
      Path cfg = dir.resolveSibling(dir.getFileName() + "-server.properties");
      try (Writer w = Files.newBufferedWriter(cfg)) {
        p.store(w, "written by cloud-ingest at each start of the embedded broker");
      }
      if (!Files.exists(dir.resolve("meta.properties"))) {
        format(cfg, options.clusterId() != null ? options.clusterId() : Uuid.randomUuid().toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Kafka: cannot prepare " + dir, e);
    }
    KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
    try {
      s.startup();
    } catch (RuntimeException e) {
      shutdownQuietly(s);
      throw new IllegalStateException("embedded Kafka did not start on localhost:" + port + ": " + e, e);
    }
    server = s;
    LOG.info("embedded Kafka started on localhost:{} (controller {}) in {} ms, data {}", port, controllerPort,
        (System.nanoTime() - t0) / 1_000_000, dir);
  }

  private static void format(Path cfg, String clusterId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc;
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", cfg.toString()}, ps);
    }
    if (rc != 0) {
      throw new IllegalStateException("embedded Kafka: formatting the storage failed (" + rc + "): "
          + out.toString(StandardCharsets.UTF_8).trim());
    }
    LOG.info("embedded Kafka: formatted new storage");
  }

  /** {@code localhost:port} of the client listener; valid after {@link #start()}. */
  public String bootstrap() {
    if (server == null) {
      throw new IllegalStateException("embedded Kafka is not running");
    }
    return "localhost:" + port;
  }

  /** Stops the broker and waits for it; idempotent. */
  @Override
  public void close() {
    KafkaRaftServer s = server;
    server = null;
    if (s != null) {
      long t0 = System.nanoTime();
      shutdownQuietly(s);
      LOG.info("embedded Kafka stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }
  }

  private static void shutdownQuietly(KafkaRaftServer s) {
    try {
      s.shutdown();
      s.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("embedded Kafka: shutdown failed: {}", e.toString());
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("localhost", 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
