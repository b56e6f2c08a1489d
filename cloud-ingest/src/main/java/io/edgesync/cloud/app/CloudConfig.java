package io.edgesync.cloud.app;

import io.edgesync.cloud.kafka.ClientProperties;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import io.edgesync.cloud.kafka.ShardedWriter;
import io.edgesync.cloud.kafka.WriterOptions;
import io.edgesync.config.ConfigException;
import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.tls.RevocationList;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The validated settings of one cloud-ingest process (cloud.yaml plus {@code --set}). Built once
 * at start-up by {@link #from(Settings)}; every default lives in {@link #KEYS}.
 *
 * @param ingestHost            bind address of the mTLS ingest endpoint
 * @param ingestPort            port of the ingest endpoint (0 = pick a free one)
 * @param maxBatchBytes         largest accepted frame, and largest inflated body, in bytes
 * @param maxInflightBytes      frame bytes held in memory across all requests before 503
 * @param queueCapacity         batches waiting for the Kafka writer before 503
 * @param gapWaitMs             how long a batch above watermark + 1 waits for its predecessor
 * @param maxParkedBatches      batches waiting for a predecessor, over all nodes, before 409
 * @param admissionMaxInFlight  the most batches in flight a node is told it may have (admission hint)
 * @param admissionEventsPerSec events/s this instance shares among its active nodes (hint); 0 = none
 * @param httpHost              bind address of the plain HTTP dashboard / health / metrics
 * @param httpPort              port of the dashboard (0 = pick a free one)
 * @param dashboardPeers        the dashboards of the other instances of this tier (host:port),
 *                              whose nodes this dashboard shows too
 * @param dataDir               data folder (the embedded broker keeps its logs in {@code kafka/})
 * @param kafkaBootstrap        bootstrap servers; empty means start the embedded broker
 * @param embeddedPort          embedded broker listener (0 = pick a free one)
 * @param embeddedControllerPort embedded KRaft controller listener (0 = pick a free one)
 * @param partitions            partitions of edge.events / edge.alerts / edge.deadletter
 * @param replicationFactor     replication factor of every topic this service creates
 * @param shards                partitions of edge.ingest-shards when created: the units of work spread over instances
 * @param minInsyncReplicas     min.insync.replicas of the topics this service creates
 * @param groupId               consumer group shared by every instance of one cloud tier
 * @param sessionTimeoutMs      how long a silent instance keeps its shards before the others take them
 * @param transactionalId       prefix of the shard writers' transactional.ids (same on every instance)
 * @param maxTxnBatches         batches committed together in one Kafka transaction
 * @param txnIntervalMs         least time between the starts of two transactions of one shard
 * @param kafkaTimeoutMs        bound of every blocking Kafka call (max.block.ms, delivery timeout)
 * @param kafkaRetryInitialMs   first back-off while the producer cannot be re-created
 * @param kafkaRetryMaxMs       back-off cap while the producer cannot be re-created
 * @param kafkaCompression      compression.type of the event writers' producers: lz4, zstd or none
 * @param kafkaClientProperties extra settings of every Kafka client (SASL / TLS to Kafka), from
 *                              the file {@code kafka.clientProperties}; empty when none
 * @param tlsCert               server certificate chain, PEM
 * @param tlsKey                server private key, PKCS#8 PEM
 * @param tlsCa                 fleet CA certificate(s), PEM; node certificates must chain to it
 * @param tlsCrl                CRL file, PEM, or null; reloaded when its mtime changes
 * @param crlPollMs             how often the CRL file's mtime is checked
 */
public record CloudConfig(
    String ingestHost,
    int ingestPort,
    int maxBatchBytes,
    long maxInflightBytes,
    int queueCapacity,
    long gapWaitMs,
    int maxParkedBatches,
    int admissionMaxInFlight,
    long admissionEventsPerSec,
    String httpHost,
    int httpPort,
    List<HostPort> dashboardPeers,
    Path dataDir,
    String kafkaBootstrap,
    int embeddedPort,
    int embeddedControllerPort,
    int partitions,
    short replicationFactor,
    int shards,
    int minInsyncReplicas,
    String groupId,
    long sessionTimeoutMs,
    String transactionalId,
    int maxTxnBatches,
    long txnIntervalMs,
    long kafkaTimeoutMs,
    long kafkaRetryInitialMs,
    long kafkaRetryMaxMs,
    String kafkaCompression,
    ClientProperties kafkaClientProperties,
    Path tlsCert,
    Path tlsKey,
    Path tlsCa,
    Path tlsCrl,
    long crlPollMs) {

  /** One documented key: name, default as written in YAML, meaning. Drives {@code --help}. */
  public record Key(String name, String defaultValue, String meaning) {}

  /** Every key cloud-ingest reads, in --help order. */
  public static final List<Key> KEYS = List.of(
      new Key("ingest.host", "0.0.0.0", "bind address of the HTTPS/HTTP2 mTLS ingest endpoint"),
      new Key("ingest.port", "9443", "ingest endpoint port (0 = any free port)"),
      new Key("ingest.maxBatchBytes", "16MiB", "largest accepted batch frame (413 above), also the inflated-body limit"),
      new Key("ingest.maxInflightBytes", "256MiB", "frame bytes held in memory over all requests; above: 503"),
      new Key("ingest.queueCapacity", "256", "batches waiting for the Kafka writer; when full: 503 'ingest queue full'"),
      new Key("ingest.gapWaitMs", "2000", "how long a batch starting above watermark+1 waits for its predecessor before 409"),
      new Key("ingest.maxParkedBatches", "64", "batches waiting for a predecessor, over all nodes; beyond: immediate 409"),
      new Key("ingest.admissionMaxInFlight", "8", "admission hint: most batches in flight per node, lowered as the shard's queue fills"),
      new Key("ingest.admissionEventsPerSec", "0", "admission hint: events/s this instance shares among nodes active in the last 30 s; 0 = no limit"),
      new Key("http.host", "0.0.0.0", "bind address of the plain HTTP dashboard, /health, /metrics, /api"),
      new Key("http.port", "8080", "dashboard port (0 = any free port)"),
      new Key("dashboard.peers", "", "the other instances' dashboards (host:port, comma-separated): this one shows their nodes too"),
      new Key("data.dir", "data", "data folder, relative to the config file; the embedded broker uses {data.dir}/kafka"),
      new Key("kafka.bootstrap", "", "Kafka bootstrap servers (comma-separated); empty = start the embedded broker"),
      new Key("kafka.embeddedPort", "9092", "embedded broker listener on localhost (0 = any free port)"),
      new Key("kafka.embeddedControllerPort", "9093", "embedded KRaft controller listener on localhost (0 = any free port)"),
      new Key("kafka.partitions", "3", "partitions of edge.events, edge.alerts, edge.deadletter when created"),
      new Key("kafka.replicationFactor", "1", "replication factor of the topics this service creates"),
      new Key("kafka.shards", "8", "partitions of edge.ingest-shards when created: node shards spread over the instances"),
      new Key("kafka.minInsyncReplicas", "(replicationFactor-1, 1..2)", "min.insync.replicas of the topics this service creates"),
      new Key("kafka.groupId", "edgesync-ingest", "consumer group of the instances of one cloud tier (shard ownership)"),
      new Key("kafka.sessionTimeoutMs", "10000", "a silent instance keeps its shards this long before the others take them"),
      new Key("kafka.transactionalId", "edgesync-ingest", "prefix of the shard writers' transactional.ids; the same on every instance"),
      new Key("kafka.maxTxnBatches", "64", "batches committed together in one Kafka transaction (group commit)"),
      new Key("kafka.txnIntervalMs", "10", "least time between the starts of two transactions of a shard; batches arriving meanwhile join the next; 0 = none"),
      new Key("kafka.timeoutMs", "15000", "bound of blocking Kafka calls (max.block.ms, delivery.timeout.ms)"),
      new Key("kafka.retryInitialMs", "200", "first back-off when the producer must be re-created"),
      new Key("kafka.retryMaxMs", "10000", "back-off cap when the producer must be re-created"),
      new Key("kafka.compression", "lz4", "compression of the event records' producer batches: lz4, zstd or none"),
      new Key("kafka.clientProperties", "", "Kafka client properties file (security.protocol, sasl.*, ssl.*) for every Kafka client"),
      new Key("tls.cert", "(required)", "server certificate chain, PEM"),
      new Key("tls.key", "(required)", "server private key, PKCS#8 PEM"),
      new Key("tls.ca", "(required)", "fleet CA certificate, PEM; client certificates must chain to it"),
      new Key("tls.crl", "", "optional CRL of tls.ca, PEM; revoked node certificates are refused at the handshake, and on connections already open at their next request"),
      new Key("tls.crlPollMs", "5000", "how often the CRL file's modification time is checked"));

  public CloudConfig {
    Objects.requireNonNull(ingestHost, "ingestHost");
    Objects.requireNonNull(httpHost, "httpHost");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(kafkaBootstrap, "kafkaBootstrap");
    Objects.requireNonNull(transactionalId, "transactionalId");
    Objects.requireNonNull(kafkaCompression, "kafkaCompression");
    Objects.requireNonNull(tlsCert, "tlsCert");
    Objects.requireNonNull(tlsKey, "tlsKey");
    Objects.requireNonNull(tlsCa, "tlsCa");
  }

  /**
   * Reads and validates every key, then refuses unknown keys.
   *
   * @throws ConfigException with one line naming the bad key
   */
  public static CloudConfig from(Settings s) {
    int mib = 1024 * 1024;
    CloudConfig c = new CloudConfig(
        s.string("ingest.host", "0.0.0.0"),
        s.port("ingest.port", 9443),
        s.integer("ingest.maxBatchBytes", 16 * mib, 1024, 1024 * mib),
        s.longValue("ingest.maxInflightBytes", 256L * mib, 1024, Long.MAX_VALUE / 2),
        s.integer("ingest.queueCapacity", 256, 1, 1 << 20),
        s.longValue("ingest.gapWaitMs", 2000, 0, 60_000),
        s.integer("ingest.maxParkedBatches", 64, 0, 1 << 16),
        s.integer("ingest.admissionMaxInFlight", 8, 1, 1024),
        s.longValue("ingest.admissionEventsPerSec", 0, 0, 1_000_000_000),
        s.string("http.host", "0.0.0.0"),
        s.port("http.port", 8080),
        s.list("dashboard.peers", List.of()).stream().map(v -> Settings.hostPort(s, "dashboard.peers", v)).toList(),
        s.path("data.dir", "data"),
        String.join(",", s.list("kafka.bootstrap", List.of())),
        s.port("kafka.embeddedPort", 9092),
        s.port("kafka.embeddedControllerPort", 9093),
        s.integer("kafka.partitions", 3, 1, 10_000),
        (short) s.integer("kafka.replicationFactor", 1, 1, Short.MAX_VALUE),
        s.integer("kafka.shards", 8, 1, 1024),
        s.integer("kafka.minInsyncReplicas", defaultMinIsr(s.integer("kafka.replicationFactor", 1, 1, Short.MAX_VALUE)),
            1, Short.MAX_VALUE),
        s.string("kafka.groupId", "edgesync-ingest"),
        s.longValue("kafka.sessionTimeoutMs", 10_000, 1000, 600_000),
        s.string("kafka.transactionalId", "edgesync-ingest"),
        s.integer("kafka.maxTxnBatches", 64, 1, 10_000),
        s.longValue("kafka.txnIntervalMs", 10, 0, 1000),
        s.longValue("kafka.timeoutMs", 15_000, 1000, 600_000),
        s.longValue("kafka.retryInitialMs", 200, 1, 600_000),
        s.longValue("kafka.retryMaxMs", 10_000, 1, 600_000),
        s.string("kafka.compression", "lz4"),
        clientProperties(s),
        s.existingFile("tls.cert", null),
        s.existingFile("tls.key", null),
        s.existingFile("tls.ca", null),
        s.path("tls.crl", null) == null ? null : s.existingFile("tls.crl", null),
        s.longValue("tls.crlPollMs", 5000, 100, 3_600_000));
    if (c.minInsyncReplicas > c.replicationFactor) {
      throw s.fail("kafka.minInsyncReplicas", "must be <= kafka.replicationFactor (" + c.replicationFactor + ")");
    }
    if (c.groupId.isBlank()) {
      throw s.fail("kafka.groupId", "must not be blank");
    }
    if (c.transactionalId.isBlank()) {
      throw s.fail("kafka.transactionalId", "must not be blank");
    }
    if (!WriterOptions.COMPRESSIONS.contains(c.kafkaCompression)) {
      throw s.fail("kafka.compression", "must be one of " + String.join(", ", WriterOptions.COMPRESSIONS)
          + " (got " + c.kafkaCompression + ")");
    }
    if (c.kafkaRetryMaxMs < c.kafkaRetryInitialMs) {
      throw s.fail("kafka.retryMaxMs", "must be >= kafka.retryInitialMs (got " + c.kafkaRetryMaxMs + ")");
    }
    if (c.tlsCrl != null) {
      checkCrl(s, c.tlsCrl, c.tlsCa);
    }
    s.requireAllKnown();
    return c;
  }

  /** Settings edgesync sets itself and relies on; a client properties file may not change them. */
  private static final Set<String> OWN_CLIENT_KEYS = Set.of("bootstrap.servers", "transactional.id",
      "enable.idempotence", "acks", "isolation.level", "group.id", "group.protocol", "enable.auto.commit",
      "key.serializer", "value.serializer", "key.deserializer", "value.deserializer", "partition.assignment.strategy");

  private static ClientProperties clientProperties(Settings s) {
    Path file = s.path("kafka.clientProperties", null);
    if (file == null) {
      return ClientProperties.NONE;
    }
    file = s.existingFile("kafka.clientProperties", null);
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      throw s.fail("kafka.clientProperties", "cannot read " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : p.stringPropertyNames()) {
      if (OWN_CLIENT_KEYS.contains(k)) {
        throw s.fail("kafka.clientProperties", file + " sets " + k + ", which cloud-ingest sets itself");
      }
      out.put(k, p.getProperty(k));
    }
    return new ClientProperties(out);
  }

  /** The CRL must be one the ingest endpoint can apply: CRLs of {@code tls.ca}, signed by it. */
  private static void checkCrl(Settings s, Path crl, Path ca) {
    if (ca == null) {
      throw s.fail("tls.crl", "needs tls.ca, the CA that signs it");
    }
    List<java.security.cert.X509Certificate> cas;
    try {
      cas = RevocationList.readCas(ca);
    } catch (IllegalArgumentException e) {
      throw s.fail("tls.ca", "(" + ca + ") " + e.getMessage());
    }
    try {
      RevocationList.load(crl, cas, "tls.ca");
    } catch (IllegalArgumentException e) {
      throw s.fail("tls.crl", "(" + crl + ") " + e.getMessage());
    }
  }

  /** RF 1 and 2: 1 (a write survives with one replica); RF 3 and more: 2. */
  static int defaultMinIsr(int replicationFactor) {
    return Math.max(1, Math.min(2, replicationFactor - 1));
  }

  /** True when no bootstrap servers are configured and the embedded broker must run. */
  public boolean embeddedKafka() {
    return kafkaBootstrap.isEmpty();
  }

  /** The embedded broker's settings, under {@code {data.dir}/kafka}. */
  public EmbeddedKafka.Options embeddedKafkaOptions() {
    return new EmbeddedKafka.Options(dataDir.resolve("kafka"), embeddedPort, embeddedControllerPort);
  }

  /** The Kafka writer's settings for the given bootstrap servers. */
  public WriterOptions writerOptions(String bootstrap) {
    return new WriterOptions(bootstrap, transactionalId, queueCapacity, maxTxnBatches, txnIntervalMs, gapWaitMs,
        maxParkedBatches, kafkaTimeoutMs, kafkaRetryInitialMs, kafkaRetryMaxMs, sessionTimeoutMs, kafkaCompression,
        embeddedKafka() ? ClientProperties.NONE : kafkaClientProperties);
  }

  /** Shard ownership settings. */
  public ShardedWriter.ShardOptions shardOptions() {
    return new ShardedWriter.ShardOptions(groupId, sessionTimeoutMs);
  }
}
