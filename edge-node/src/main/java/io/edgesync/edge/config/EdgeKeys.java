package io.edgesync.edge.config;

import java.util.List;

/**
 * Every key of {@code edge.yaml}, with its default and meaning: the single place defaults
 * live. {@link EdgeConfig} reads them, {@code --help} prints them, docs/CONFIG-edge.md
 * mirrors them.
 */
public final class EdgeKeys {

  /** One documented key. {@code defaultValue} is shown as is; "" means "none". */
  public record Key(String name, String defaultValue, String meaning) {}

  public static final String NODE_ID = "node.id";
  public static final String NODE_GROUP = "node.group";
  public static final String DATA_DIR = "data.dir";
  public static final String MQTT_HOST = "mqtt.host";
  public static final String MQTT_PORT = "mqtt.port";
  public static final String MQTT_TLS_PORT = "mqtt.tlsPort";
  public static final String MQTT_MAX_PAYLOAD_BYTES = "mqtt.maxPayloadBytes";
  public static final String MQTT_EVENT_LOOPS = "mqtt.eventLoops";
  public static final String MQTT_DEDUP_CLIENTS = "mqtt.dedupClients";
  public static final String MQTT_AUTH = "mqtt.auth";
  public static final String MQTT_USERS_FILE = "mqtt.usersFile";
  public static final String MQTT_CLIENT_CA = "mqtt.clientCa";
  public static final String MQTT_CLIENT_CRL = "mqtt.clientCrl";
  public static final String MQTT_USERS_RELOAD_MS = "mqtt.usersReloadMs";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";
  public static final String CLOUD_ENDPOINTS = "cloud.endpoints";
  public static final String TLS_CERT = "tls.cert";
  public static final String TLS_KEY = "tls.key";
  public static final String TLS_CA = "tls.ca";
  public static final String STREAMS_CRITICAL = "streams.critical";
  public static final String STREAMS_BULK = "streams.bulk";
  /** {@code streams.<class>.overflow}: the class's policy at the disk quota. */
  public static final String STREAMS_CRITICAL_OVERFLOW = "streams.critical.overflow";
  public static final String STREAMS_NORMAL_OVERFLOW = "streams.normal.overflow";
  public static final String STREAMS_BULK_OVERFLOW = "streams.bulk.overflow";
  public static final String BUFFER_QUOTA_BYTES = "buffer.quotaBytes";
  public static final String BUFFER_HIGH_WATERMARK = "buffer.highWatermark";
  public static final String BUFFER_LOW_WATERMARK = "buffer.lowWatermark";
  public static final String LOG_QUEUE_CAPACITY = "log.queueCapacity";
  public static final String LOG_QUEUE_MAX_BYTES = "log.queueMaxBytes";
  public static final String LOG_MAX_GROUP_EVENTS = "log.maxGroupEvents";
  public static final String LOG_RETAIN_RELEASED = "log.retainReleased";
  public static final String LOG_MEMORY_BYTES = "log.memoryBytes";
  public static final String DEDUP_ENABLED = "dedup.enabled";
  public static final String DEDUP_WINDOW = "dedup.window";
  public static final String DEDUP_MAX_KEYS_PER_BUCKET = "dedup.maxKeysPerBucket";
  public static final String DEDUP_MAX_BLOOM_BYTES = "dedup.maxBloomBytes";
  public static final String RULES_FILE = "rules.file";
  public static final String RULES_SHADOW_FILE = "rules.shadowFile";
  public static final String RULES_RELOAD_INTERVAL_MS = "rules.reloadIntervalMs";
  public static final String RULES_SNAPSHOT_INTERVAL_MS = "rules.snapshotIntervalMs";
  public static final String RULES_MANAGED = "rules.managed";
  public static final String FORWARD_MAX_BATCH_EVENTS = "forward.maxBatchEvents";
  public static final String FORWARD_MAX_BATCH_BYTES = "forward.maxBatchBytes";
  public static final String FORWARD_LINGER_MS = "forward.lingerMs";
  public static final String FORWARD_MAX_IN_FLIGHT = "forward.maxInFlight";
  public static final String FORWARD_MAX_EVENTS_PER_SEC = "forward.maxEventsPerSec";
  public static final String FORWARD_COMPRESSION = "forward.compression";
  public static final String FORWARD_RETRY_INITIAL_MS = "forward.retryInitialMs";
  public static final String FORWARD_RETRY_MAX_MS = "forward.retryMaxMs";
  public static final String FORWARD_REQUEST_TIMEOUT_MS = "forward.requestTimeoutMs";
  public static final String HEARTBEAT_INTERVAL_MS = "heartbeat.intervalMs";

  // Defaults: change them here only.
  static final String DEFAULT_DATA_DIR = "data";
  static final String DEFAULT_MQTT_HOST = "0.0.0.0";
  static final int DEFAULT_MQTT_PORT = 1883;
  static final int DEFAULT_MQTT_TLS_PORT = 8883;
  static final int DEFAULT_MQTT_MAX_PAYLOAD_BYTES = 262_144;
  static final int DEFAULT_MQTT_DEDUP_CLIENTS = 10_000;
  static final String DEFAULT_HTTP_HOST = "0.0.0.0";
  static final int DEFAULT_HTTP_PORT = 8081;
  static final int DEFAULT_LOG_QUEUE_CAPACITY = 16_384;
  static final long DEFAULT_LOG_QUEUE_MAX_BYTES = 16L * 1024 * 1024;
  static final int DEFAULT_LOG_MAX_GROUP_EVENTS = 4096;
  static final long DEFAULT_BUFFER_QUOTA_BYTES = 2L * 1024 * 1024 * 1024;
  static final double DEFAULT_BUFFER_HIGH_WATERMARK = 0.95;
  static final double DEFAULT_BUFFER_LOW_WATERMARK = 0.90;
  static final String DEFAULT_CRITICAL_OVERFLOW = "backpressure";
  static final String DEFAULT_NORMAL_OVERFLOW = "backpressure";
  static final String DEFAULT_BULK_OVERFLOW = "drop-oldest";
  static final boolean DEFAULT_DEDUP_ENABLED = true;
  static final java.time.Duration DEFAULT_DEDUP_WINDOW = java.time.Duration.ofMinutes(10);
  static final int DEFAULT_DEDUP_MAX_KEYS_PER_BUCKET = 500_000;
  static final long DEFAULT_RULES_RELOAD_INTERVAL_MS = 2_000;
  static final long DEFAULT_RULES_SNAPSHOT_INTERVAL_MS = 10_000;
  static final int DEFAULT_FORWARD_MAX_BATCH_EVENTS = 2000;
  static final int DEFAULT_FORWARD_MAX_BATCH_BYTES = 1024 * 1024;
  static final int DEFAULT_FORWARD_LINGER_MS = 20;
  static final int DEFAULT_FORWARD_MAX_IN_FLIGHT = 4;
  static final String DEFAULT_FORWARD_COMPRESSION = "zstd";
  static final int DEFAULT_FORWARD_RETRY_INITIAL_MS = 200;
  static final int DEFAULT_FORWARD_RETRY_MAX_MS = 30_000;
  static final int DEFAULT_FORWARD_REQUEST_TIMEOUT_MS = 30_000;
  static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

  /** Default of {@code mqtt.eventLoops}: one MQTT listener instance per core. */
  static int defaultEventLoops() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /** Every key, in the order {@code --help} and the docs list them. */
  public static final List<Key> ALL = List.of(
      new Key(NODE_ID, "(required)", "this node's id, [A-Za-z0-9._-]{1,64}; must equal the CN of tls.cert"),
      new Key(NODE_GROUP, "", "fleet group of this node (rollouts)"),
      new Key(DATA_DIR, DEFAULT_DATA_DIR, "data folder (RocksDB under <data.dir>/rocksdb); relative to the config file's folder"),
      new Key(MQTT_HOST, DEFAULT_MQTT_HOST, "address the MQTT listeners bind"),
      new Key(MQTT_PORT, String.valueOf(DEFAULT_MQTT_PORT), "plain MQTT port (0 = pick a free port)"),
      new Key(MQTT_TLS_PORT, String.valueOf(DEFAULT_MQTT_TLS_PORT),
          "MQTT over TLS port; 0 disables it; off by default when tls.cert/tls.key are absent"),
      new Key(MQTT_MAX_PAYLOAD_BYTES, String.valueOf(DEFAULT_MQTT_MAX_PAYLOAD_BYTES),
          "largest accepted PUBLISH payload; a bigger one closes that connection"),
      new Key(MQTT_EVENT_LOOPS, "number of cores", "MQTT listener instances (event loops) sharing the port"),
      new Key(MQTT_DEDUP_CLIENTS, String.valueOf(DEFAULT_MQTT_DEDUP_CLIENTS),
          "clients whose recent QoS1/2 packet ids are remembered for DUP detection (LRU)"),
      new Key(MQTT_AUTH, "none", "MQTT client authentication: none | password | certificate | password,certificate "
          + "(either works); docs/SECURITY.md"),
      new Key(MQTT_USERS_FILE, "", "MQTT users and topic ACLs (YAML, PBKDF2 hashes, `provisioning mqtt-user`); "
          + "relative to the config file's folder; required unless mqtt.auth=none"),
      new Key(MQTT_CLIENT_CA, "tls.ca", "CA (PEM) client certificates must chain to, with mqtt.auth=certificate"),
      new Key(MQTT_CLIENT_CRL, "", "CRL file (PEM or DER) of mqtt.clientCa: a client certificate it lists is "
          + "refused at CONNECT; re-read with mqtt.usersFile; with mqtt.auth=certificate only"),
      new Key(MQTT_USERS_RELOAD_MS, "2000", "how often mqtt.usersFile is checked for changes (mtime, size); a valid new file "
          + "applies to new connections, an invalid one is refused and the old users stay; 0 = never"),
      new Key(HTTP_HOST, DEFAULT_HTTP_HOST, "address the status HTTP server binds"),
      new Key(HTTP_PORT, String.valueOf(DEFAULT_HTTP_PORT), "status HTTP port: /health, /metrics, /status (0 = pick a free port)"),
      new Key(CLOUD_ENDPOINTS, "", "cloud ingest endpoints, host:port list, tried in order; empty = no forwarding"),
      new Key(TLS_CERT, "", "node certificate (PEM); required with cloud.endpoints or mqtt.tlsPort"),
      new Key(TLS_KEY, "", "node private key (PEM, PKCS#8); required with tls.cert"),
      new Key(TLS_CA, "", "fleet CA certificate (PEM); required with cloud.endpoints"),
      new Key(STREAMS_CRITICAL, "", "MQTT topic filters of the critical class"),
      new Key(STREAMS_BULK, "", "MQTT topic filters of the bulk class (everything else is normal)"),
      new Key(STREAMS_CRITICAL_OVERFLOW, DEFAULT_CRITICAL_OVERFLOW,
          "critical at the disk quota: backpressure only (critical is never evicted)"),
      new Key(STREAMS_NORMAL_OVERFLOW, DEFAULT_NORMAL_OVERFLOW,
          "normal at the disk quota: backpressure (PUBACK withheld, sockets paused) | drop-oldest"),
      new Key(STREAMS_BULK_OVERFLOW, DEFAULT_BULK_OVERFLOW,
          "bulk at the disk quota: drop-oldest (oldest evicted, loss ledger) | backpressure"),
      new Key(BUFFER_QUOTA_BYTES, "2g", "disk quota of the log: live envelope bytes (not yet released by the cloud)"),
      new Key(BUFFER_HIGH_WATERMARK, String.valueOf(DEFAULT_BUFFER_HIGH_WATERMARK),
          "fraction of the quota above which drop-oldest classes are evicted / publishing sockets paused"),
      new Key(BUFFER_LOW_WATERMARK, String.valueOf(DEFAULT_BUFFER_LOW_WATERMARK),
          "fraction of the quota eviction frees down to, and below which paused sockets resume"),
      new Key(LOG_QUEUE_CAPACITY, String.valueOf(DEFAULT_LOG_QUEUE_CAPACITY),
          "appends waiting for the log writer; beyond it appends fail fast (log full)"),
      new Key(LOG_QUEUE_MAX_BYTES, String.valueOf(DEFAULT_LOG_QUEUE_MAX_BYTES),
          "envelope bytes waiting for the log writer; beyond it appends fail fast (log full)"),
      new Key(LOG_MAX_GROUP_EVENTS, String.valueOf(DEFAULT_LOG_MAX_GROUP_EVENTS), "most events per group commit (one fsync)"),
      new Key(LOG_MEMORY_BYTES, "48m", "RocksDB memory budget: one block cache shared by every column family, charged "
          + "with the memtables and the index/filter blocks (at least 8m)"),
      new Key(LOG_RETAIN_RELEASED, "0", "released (cloud-committed) events kept per class for POST /admin/replay, "
          + "outside the quota; 0 = deleted on release"),
      new Key(DEDUP_ENABLED, String.valueOf(DEFAULT_DEDUP_ENABLED),
          "drop a second event with the same (source, payload id), and DUP redeliveries across restarts, within dedup.window"),
      new Key(DEDUP_WINDOW, "10m", "how long a stored (source, id) / (client, packet id) catches duplicates (1s..7d)"),
      new Key(DEDUP_MAX_KEYS_PER_BUCKET, String.valueOf(DEFAULT_DEDUP_MAX_KEYS_PER_BUCKET),
          "keys per time bucket (window/10) the Bloom filters are sized for (~1.2 bytes each); above it more RocksDB lookups"),
      new Key(DEDUP_MAX_BLOOM_BYTES, "24m", "heap all dedup Bloom filters may take; a full bucket gets another filter "
          + "twice as large while this allows (beyond: more RocksDB lookups, answers stay exact)"),
      new Key(RULES_FILE, "", "local rules and schemas (YAML, docs/RULES.md); relative to the config file's folder; "
          + "none = no rules; an invalid file stops the start (exit 2)"),
      new Key(RULES_SHADOW_FILE, "", "rules evaluated in shadow on the same traffic: fires counted, actions not executed"),
      new Key(RULES_RELOAD_INTERVAL_MS, String.valueOf(DEFAULT_RULES_RELOAD_INTERVAL_MS),
          "how often the rules files are checked for changes (mtime, size)"),
      new Key(RULES_SNAPSHOT_INTERVAL_MS, String.valueOf(DEFAULT_RULES_SNAPSHOT_INTERVAL_MS),
          "how often rule window/cooldown state is snapshotted to RocksDB (also at shutdown)"),
      new Key(RULES_MANAGED, "true", "accept rules rolled out from the cloud (provisioning rollout); they are kept in "
          + "{data.dir}/managed and replace rules.file / rules.shadowFile until rolled back; docs/RULES.md"),
      new Key(FORWARD_MAX_BATCH_EVENTS, String.valueOf(DEFAULT_FORWARD_MAX_BATCH_EVENTS), "most events per batch"),
      new Key(FORWARD_MAX_BATCH_BYTES, String.valueOf(DEFAULT_FORWARD_MAX_BATCH_BYTES), "about this many envelope bytes per batch"),
      new Key(FORWARD_LINGER_MS, String.valueOf(DEFAULT_FORWARD_LINGER_MS),
          "while a batch is in flight, wait up to this long for the next one to fill (none in flight: at once)"),
      new Key(FORWARD_MAX_IN_FLIGHT, String.valueOf(DEFAULT_FORWARD_MAX_IN_FLIGHT), "batches sent and not yet answered"),
      new Key(FORWARD_MAX_EVENTS_PER_SEC, "0", "catch-up rate cap for normal and bulk events (events/s, 0 = none); "
          + "critical is never capped; the cloud's admission hint may lower it"),
      new Key(FORWARD_COMPRESSION, DEFAULT_FORWARD_COMPRESSION, "batch body compression: none | zstd"),
      new Key(FORWARD_RETRY_INITIAL_MS, String.valueOf(DEFAULT_FORWARD_RETRY_INITIAL_MS), "first retry backoff (doubles, full jitter)"),
      new Key(FORWARD_RETRY_MAX_MS, String.valueOf(DEFAULT_FORWARD_RETRY_MAX_MS), "ceiling of the retry backoff"),
      new Key(FORWARD_REQUEST_TIMEOUT_MS, String.valueOf(DEFAULT_FORWARD_REQUEST_TIMEOUT_MS),
          "a batch not answered in this time counts as failed"),
      new Key(HEARTBEAT_INTERVAL_MS, String.valueOf(DEFAULT_HEARTBEAT_INTERVAL_MS),
          "how often the node posts a heartbeat (backlog, link, rates) to the cloud; 0 = never; docs/METRICS.md"),
      // market-data feed sources (io.edgesync.edge.sources.FeedSettings reads and validates them)
      new Key("feed.names", "", "market-data feeds to connect to (TCP line feeds of JSON ticks), comma-separated names"),
      new Key("feed.<name>.endpoint", "(required)", "feed server host:port (the edge is the TCP client)"),
      new Key("feed.<name>.topic", "market/{symbol}/ticks", "topic of each tick; {symbol} is replaced"),
      new Key("feed.<name>.priority", "normal", "class of the feed's ticks: critical | normal | bulk"),
      new Key("feed.<name>.startSeq", "0", "first seq expected at start (earlier ones are asked by replay); "
          + "0 = start with what the feed sends"),
      new Key("feed.<name>.maxLineBytes", "64k", "longest tick line; a longer one is counted and skipped"),
      new Key("feed.<name>.replay", "true", "ask the feed to re-send a sequence gap"),
      new Key("feed.<name>.gapTimeout", "5s", "how long later ticks wait for a gap's replay before it is declared lost"),
      new Key("feed.<name>.maxBufferedTicks", "50000", "ticks held behind an open gap; beyond it the gap is declared lost"),
      new Key("feed.<name>.reconnectInitialMs", "200", "first reconnect delay (doubles, jitter)"),
      new Key("feed.<name>.reconnectMaxMs", "30000", "ceiling of the reconnect delay"),
      // MQTT bridges to upstream brokers (io.edgesync.edge.sources.BridgeSettings reads and validates them)
      new Key("bridge.names", "", "MQTT bridges: upstream (plant) brokers to subscribe to, comma-separated names"),
      new Key("bridge.<name>.endpoint", "(required)", "upstream broker host:port (MQTT 3.1.1 over TCP or TLS)"),
      new Key("bridge.<name>.clientId", "edgesync-bridge-<name>", "client id upstream; keys the persistent session"),
      new Key("bridge.<name>.topics", "(required)", "topic filters subscribed at QoS1, comma-separated"),
      new Key("bridge.<name>.username", "", "upstream user name (optional)"),
      new Key("bridge.<name>.password", "", "upstream password (optional)"),
      new Key("bridge.<name>.priority", "normal", "class of the bridged events: critical | normal | bulk"),
      new Key("bridge.<name>.maxPayloadBytes", "262144", "largest upstream payload; a larger one is counted, "
          + "acknowledged and skipped"),
      new Key("bridge.<name>.reconnectInitialMs", "200", "first reconnect delay (doubles, jitter)"),
      new Key("bridge.<name>.reconnectMaxMs", "30000", "ceiling of the reconnect delay"),
      new Key("bridge.<name>.tls", "false", "TLS to the upstream broker (OpenSSL)"),
      new Key("bridge.<name>.ca", "JVM trust store", "CA (PEM) the broker's certificate must chain to, with tls"),
      new Key("bridge.<name>.cert", "", "client certificate (PEM) for a broker that requires one, with tls and key"),
      new Key("bridge.<name>.key", "", "its private key (PEM, PKCS#8)"),
      new Key("bridge.<name>.verifyHost", "true", "the broker's certificate must name the endpoint's host"));

  private EdgeKeys() {}

  /** The {@code --help} text: usage line and one line per key. */
  public static String usage() {
    StringBuilder b = new StringBuilder();
    b.append("usage: java -jar edge-node.jar --config edge.yaml [--set key=value ...] [--help]\n\n");
    b.append("keys (YAML, nested maps or dotted keys; --set overrides; lists comma-separated):\n");
    int width = ALL.stream().mapToInt(k -> k.name().length()).max().orElse(20);
    for (Key k : ALL) {
      b.append("  ").append(String.format("%-" + width + "s", k.name()))
          .append("  ").append(k.meaning());
      if (!k.defaultValue().isEmpty()) {
        b.append(" [default ").append(k.defaultValue()).append(']');
      }
      b.append('\n');
    }
    return b.toString();
  }
}
