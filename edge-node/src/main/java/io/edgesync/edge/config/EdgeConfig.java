package io.edgesync.edge.config;

import static io.edgesync.edge.config.EdgeKeys.*;

import io.edgesync.config.ConfigException;
import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.edge.dedup.DedupSettings;
import io.edgesync.edge.forward.ForwarderConfig;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.log.OverflowPolicy;
import io.edgesync.edge.log.QuotaSettings;
import io.edgesync.model.Priority;
import io.edgesync.edge.mqtt.IngestSettings;
import io.edgesync.edge.mqtt.TopicFilter;
import io.edgesync.edge.mqtt.auth.MqttAuthSettings;
import io.edgesync.edge.rules.RulesConfig;
import io.edgesync.edge.rules.RulesFileException;
import io.edgesync.edge.sources.BridgeSettings;
import io.edgesync.edge.sources.FeedSettings;
import io.edgesync.wire.Compression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The validated configuration of one edge node ({@code edge.yaml} plus {@code --set}
 * overrides). Built once at start-up by {@link #from(Settings)}; every mistake is a
 * {@link ConfigException} with one line naming the key. Keys and defaults:
 * {@link EdgeKeys}.
 *
 * @param nodeId           this node's id
 * @param nodeGroup        fleet group, "" when none
 * @param dataDir          data folder (absolute)
 * @param mqtt             MQTT ingest settings
 * @param httpHost         address of the status HTTP server
 * @param httpPort         port of the status HTTP server (0 = free port)
 * @param cloudEndpoints   cloud ingest endpoints; empty = forwarding off
 * @param tlsCert          node certificate, or null
 * @param tlsKey           node private key, or null
 * @param tlsCa            fleet CA certificate, or null
 * @param log              bounds of the event log's write path
 * @param forwarderConfig  forwarder settings, null when {@code cloudEndpoints} is empty
 * @param rules            local rules files and intervals ({@code rules.*})
 * @param heartbeatIntervalMs how often a heartbeat goes to the cloud (0 = never; needs cloud.endpoints)
 * @param feeds            market-data feed sources ({@code feed.names}, {@code feed.<name>.*}); empty = none
 * @param logRetainReleased released events kept per class for {@code /admin/replay} (0 = deleted on release)
 * @param bridges          MQTT bridges to upstream brokers ({@code bridge.names}, {@code bridge.<name>.*}); empty = none
 */
public record EdgeConfig(
    String nodeId,
    String nodeGroup,
    Path dataDir,
    IngestSettings mqtt,
    String httpHost,
    int httpPort,
    List<HostPort> cloudEndpoints,
    Path tlsCert,
    Path tlsKey,
    Path tlsCa,
    LogSettings log,
    ForwarderConfig forwarderConfig,
    RulesConfig rules,
    long heartbeatIntervalMs,
    List<FeedSettings> feeds,
    long logRetainReleased,
    List<BridgeSettings> bridges) {

  private static final Pattern NODE_ID_PATTERN = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final int MAX_PAYLOAD_LIMIT = 256 * 1024 * 1024 - 1; // MQTT remaining-length limit

  public EdgeConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(mqtt, "mqtt");
    Objects.requireNonNull(log, "log");
    Objects.requireNonNull(rules, "rules");
    cloudEndpoints = List.copyOf(cloudEndpoints);
    feeds = feeds == null ? List.of() : List.copyOf(feeds);
    bridges = bridges == null ? List.of() : List.copyOf(bridges);
  }

  /** The forwarder's settings; empty when no cloud endpoint is configured. */
  public Optional<ForwarderConfig> forwarder() {
    return Optional.ofNullable(forwarderConfig);
  }

  /** Where the RocksDB database lives: {@code <data.dir>/rocksdb}. */
  public Path dbDir() {
    return dataDir.resolve("rocksdb");
  }

  /**
   * Reads and validates every edge key, then refuses unknown keys.
   *
   * @throws ConfigException with one line naming the key and the problem
   */
  public static EdgeConfig from(Settings s) {
    String nodeId = s.requiredString(NODE_ID);
    if (!NODE_ID_PATTERN.matcher(nodeId).matches()) {
      throw s.fail(NODE_ID, "must match [A-Za-z0-9._-]{1,64} (got " + nodeId + ")");
    }
    String group = s.string(NODE_GROUP, "");
    Path dataDir = s.path(DATA_DIR, DEFAULT_DATA_DIR);

    String mqttHost = s.string(MQTT_HOST, DEFAULT_MQTT_HOST);
    int mqttPort = s.port(MQTT_PORT, DEFAULT_MQTT_PORT);
    boolean tlsPortGiven = s.has(MQTT_TLS_PORT);
    int tlsPort = s.port(MQTT_TLS_PORT, DEFAULT_MQTT_TLS_PORT);
    int maxPayload = s.integer(MQTT_MAX_PAYLOAD_BYTES, DEFAULT_MQTT_MAX_PAYLOAD_BYTES, 1, MAX_PAYLOAD_LIMIT);
    int eventLoops = s.integer(MQTT_EVENT_LOOPS, defaultEventLoops(), 1, 256);
    int dedupClients = s.integer(MQTT_DEDUP_CLIENTS, DEFAULT_MQTT_DEDUP_CLIENTS, 1, 10_000_000);
    String httpHost = s.string(HTTP_HOST, DEFAULT_HTTP_HOST);
    int httpPort = s.port(HTTP_PORT, DEFAULT_HTTP_PORT);

    List<HostPort> endpoints = new ArrayList<>();
    for (String e : s.list(CLOUD_ENDPOINTS, List.of())) {
      endpoints.add(Settings.hostPort(s, CLOUD_ENDPOINTS, e));
    }

    // tls.*: required for the cloud link; the MQTT TLS listener uses cert+key when present
    Path tlsCert;
    Path tlsKey;
    Path tlsCa;
    if (!endpoints.isEmpty()) {
      tlsCert = s.existingFile(TLS_CERT, null);
      tlsKey = s.existingFile(TLS_KEY, null);
      tlsCa = s.existingFile(TLS_CA, null);
    } else {
      tlsCert = optionalFile(s, TLS_CERT);
      tlsKey = optionalFile(s, TLS_KEY);
      tlsCa = optionalFile(s, TLS_CA);
    }
    if (tlsPort > 0 && (tlsCert == null || tlsKey == null)) {
      if (tlsPortGiven) {
        throw s.fail(MQTT_TLS_PORT, "needs tls.cert and tls.key (set mqtt.tlsPort=0 to disable the TLS listener)");
      }
      tlsPort = 0; // default port, no certificate: the TLS listener stays off
    }
    MqttAuthSettings mqttAuth = MqttAuthSettings.read(s, tlsPort, tlsCa); // reads the users file

    List<TopicFilter> critical = filters(s, STREAMS_CRITICAL);
    List<TopicFilter> bulk = filters(s, STREAMS_BULK);

    int queueCapacity = s.integer(LOG_QUEUE_CAPACITY, DEFAULT_LOG_QUEUE_CAPACITY, 1, 10_000_000);
    long queueMaxBytes = s.longValue(LOG_QUEUE_MAX_BYTES, DEFAULT_LOG_QUEUE_MAX_BYTES, 1, 1L << 40);
    int maxGroup = s.integer(LOG_MAX_GROUP_EVENTS, DEFAULT_LOG_MAX_GROUP_EVENTS, 1, 1_000_000);
    long memoryBytes = s.longValue(LOG_MEMORY_BYTES, LogSettings.DEFAULT_MEMORY_BYTES, LogSettings.MIN_MEMORY_BYTES,
        1L << 40);
    QuotaSettings quota = quota(s);
    DedupSettings dedup = new DedupSettings(s.bool(DEDUP_ENABLED, DEFAULT_DEDUP_ENABLED),
        s.duration(DEDUP_WINDOW, DEFAULT_DEDUP_WINDOW, Duration.ofSeconds(1), Duration.ofDays(7)),
        s.integer(DEDUP_MAX_KEYS_PER_BUCKET, DEFAULT_DEDUP_MAX_KEYS_PER_BUCKET, 1_000, 50_000_000),
        s.longValue(DEDUP_MAX_BLOOM_BYTES, DedupSettings.DEFAULT_MAX_BLOOM_BYTES, 0, 1L << 34));

    int maxBatchEvents = s.integer(FORWARD_MAX_BATCH_EVENTS, DEFAULT_FORWARD_MAX_BATCH_EVENTS, 1, 1_000_000);
    int maxBatchBytes = s.integer(FORWARD_MAX_BATCH_BYTES, DEFAULT_FORWARD_MAX_BATCH_BYTES, 1, 256 * 1024 * 1024);
    long lingerMs = s.longValue(FORWARD_LINGER_MS, DEFAULT_FORWARD_LINGER_MS, 0, 60_000);
    int maxInFlight = s.integer(FORWARD_MAX_IN_FLIGHT, DEFAULT_FORWARD_MAX_IN_FLIGHT, 1, 1024);
    long maxEventsPerSec = s.longValue(FORWARD_MAX_EVENTS_PER_SEC, 0, 0, 100_000_000);
    String compressionLabel = s.string(FORWARD_COMPRESSION, DEFAULT_FORWARD_COMPRESSION);
    Compression compression;
    try {
      compression = Compression.parse(compressionLabel);
    } catch (IllegalArgumentException e) {
      throw s.fail(FORWARD_COMPRESSION, e.getMessage());
    }
    long retryInitialMs = s.longValue(FORWARD_RETRY_INITIAL_MS, DEFAULT_FORWARD_RETRY_INITIAL_MS, 1, 600_000);
    long retryMaxMs = s.longValue(FORWARD_RETRY_MAX_MS, DEFAULT_FORWARD_RETRY_MAX_MS, 1, 3_600_000);
    if (retryMaxMs < retryInitialMs) {
      throw s.fail(FORWARD_RETRY_MAX_MS, "must be >= forward.retryInitialMs (" + retryInitialMs + ") (got "
          + retryMaxMs + ")");
    }
    long timeoutMs = s.longValue(FORWARD_REQUEST_TIMEOUT_MS, DEFAULT_FORWARD_REQUEST_TIMEOUT_MS, 100, 3_600_000);

    Path rulesFile = optionalFile(s, RULES_FILE);
    Path rulesShadow = optionalFile(s, RULES_SHADOW_FILE);
    long rulesReload = s.longValue(RULES_RELOAD_INTERVAL_MS, DEFAULT_RULES_RELOAD_INTERVAL_MS, 10, 3_600_000);
    long rulesSnapshot = s.longValue(RULES_SNAPSHOT_INTERVAL_MS, DEFAULT_RULES_SNAPSHOT_INTERVAL_MS, 100, 86_400_000);

    boolean rulesManaged = s.bool(RULES_MANAGED, true);
    long heartbeatMs = s.longValue(HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_INTERVAL_MS, 0, 3_600_000);
    List<FeedSettings> feeds = FeedSettings.read(s);
    List<BridgeSettings> bridges = BridgeSettings.read(s);
    long retainReleased = s.longValue(LOG_RETAIN_RELEASED, 0, 0, 1_000_000_000);
    s.requireAllKnown();

    RulesConfig rules = new RulesConfig(rulesFile, rulesShadow, rulesReload, rulesSnapshot, rulesManaged);
    // parsed and compiled now: a bad rules file fails the start like any config error
    checkRules(s, RULES_FILE, rulesFile);
    checkRules(s, RULES_SHADOW_FILE, rulesShadow);

    requireDistinctPorts(s, mqttPort, tlsPort, httpPort);

    ForwarderConfig forwarder = endpoints.isEmpty() ? null : new ForwarderConfig(
        nodeId, endpoints, tlsCert, tlsKey, tlsCa, maxBatchEvents, maxBatchBytes, Duration.ofMillis(lingerMs),
        maxInFlight, compression, Duration.ofMillis(retryInitialMs), Duration.ofMillis(retryMaxMs),
        Duration.ofMillis(timeoutMs), maxEventsPerSec);
    IngestSettings mqtt = new IngestSettings(mqttHost, mqttPort, tlsPort, maxPayload, eventLoops, dedupClients,
        tlsPort > 0 ? tlsCert : null, tlsPort > 0 ? tlsKey : null, critical, bulk, mqttAuth);
    return new EdgeConfig(nodeId, group, dataDir, mqtt, httpHost, httpPort, endpoints, tlsCert, tlsKey, tlsCa,
        new LogSettings(queueCapacity, queueMaxBytes, maxGroup, dedup, quota, memoryBytes), forwarder, rules, heartbeatMs, feeds, retainReleased,
        bridges);
  }

  /** {@code buffer.*} and {@code streams.<class>.overflow}. */
  private static QuotaSettings quota(Settings s) {
    long quotaBytes = s.longValue(BUFFER_QUOTA_BYTES, DEFAULT_BUFFER_QUOTA_BYTES, 1024 * 1024, 1L << 50);
    double high = fraction(s, BUFFER_HIGH_WATERMARK, DEFAULT_BUFFER_HIGH_WATERMARK);
    double low = fraction(s, BUFFER_LOW_WATERMARK, DEFAULT_BUFFER_LOW_WATERMARK);
    if (low >= high) {
      throw s.fail(BUFFER_LOW_WATERMARK, "must be below buffer.highWatermark (" + high + ") (got " + low + ")");
    }
    java.util.Map<Priority, OverflowPolicy> policies = new java.util.EnumMap<>(Priority.class);
    policies.put(Priority.CRITICAL, overflow(s, STREAMS_CRITICAL_OVERFLOW, DEFAULT_CRITICAL_OVERFLOW));
    policies.put(Priority.NORMAL, overflow(s, STREAMS_NORMAL_OVERFLOW, DEFAULT_NORMAL_OVERFLOW));
    policies.put(Priority.BULK, overflow(s, STREAMS_BULK_OVERFLOW, DEFAULT_BULK_OVERFLOW));
    if (policies.get(Priority.CRITICAL) != OverflowPolicy.BACKPRESSURE) {
      throw s.fail(STREAMS_CRITICAL_OVERFLOW, "must be backpressure: critical events are never evicted (got "
          + policies.get(Priority.CRITICAL).label() + ")");
    }
    return new QuotaSettings(quotaBytes, high, low, policies);
  }

  private static OverflowPolicy overflow(Settings s, String key, String def) {
    try {
      String v = s.string(key, "");
      return OverflowPolicy.parse(v.isEmpty() ? def : v);
    } catch (IllegalArgumentException e) {
      throw s.fail(key, e.getMessage());
    }
  }

  /** A fraction in (0, 1]: {@code 0.95} or {@code 95%}. */
  private static double fraction(Settings s, String key, double def) {
    String v = s.string(key, "");
    if (v.isEmpty()) {
      return def;
    }
    double d;
    try {
      d = v.endsWith("%") ? Double.parseDouble(v.substring(0, v.length() - 1).trim()) / 100
          : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw s.fail(key, "must be a fraction like 0.95 or 95% (got " + v + ")");
    }
    if (!(d > 0 && d <= 1)) {
      throw s.fail(key, "must be > 0 and <= 1 (got " + v + ")");
    }
    return d;
  }

  private static void checkRules(Settings s, String key, Path file) {
    try {
      RulesConfig.check(file);
    } catch (RulesFileException e) {
      throw s.fail(key, "is invalid: " + e.getMessage());
    }
  }

  private static Path optionalFile(Settings s, String key) {
    String v = s.string(key, "");
    return v.isEmpty() ? null : s.existingFile(key, null);
  }

  private static List<TopicFilter> filters(Settings s, String key) {
    List<TopicFilter> out = new ArrayList<>();
    for (String f : s.list(key, List.of())) {
      try {
        out.add(TopicFilter.parse(f));
      } catch (IllegalArgumentException e) {
        throw s.fail(key, "has an invalid topic filter: " + e.getMessage());
      }
    }
    return out;
  }

  private static void requireDistinctPorts(Settings s, int mqttPort, int tlsPort, int httpPort) {
    if (mqttPort != 0 && mqttPort == httpPort) {
      throw s.fail(HTTP_PORT, "must differ from mqtt.port (both " + httpPort + ")");
    }
    if (tlsPort != 0 && tlsPort == mqttPort) {
      throw s.fail(MQTT_TLS_PORT, "must differ from mqtt.port (both " + tlsPort + ")");
    }
    if (tlsPort != 0 && tlsPort == httpPort) {
      throw s.fail(HTTP_PORT, "must differ from mqtt.tlsPort (both " + httpPort + ")");
    }
  }
}
