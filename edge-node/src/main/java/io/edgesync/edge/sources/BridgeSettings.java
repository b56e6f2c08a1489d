package io.edgesync.edge.sources;

import io.edgesync.config.ConfigException;
import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.edge.mqtt.TopicFilter;
import io.edgesync.model.Priority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One MQTT bridge: the edge subscribes to topic filters on an upstream broker (a plant
 * broker) with a persistent session at QoS1 ({@code bridge.<name>.*}; the bridges are listed
 * in {@code bridge.names}). Policies: docs/ARCHITECTURE-edge.md, "Sources".
 *
 * @param name             bridge name: source {@code bridge:<name>}
 * @param endpoint         upstream broker host:port (plain TCP)
 * @param clientId         client id on the upstream broker; the persistent session is keyed by it
 * @param topics           topic filters subscribed at QoS1
 * @param username         upstream user name, or null
 * @param password         upstream password, or null
 * @param priority         class of the bridged events
 * @param maxPayloadBytes  largest accepted upstream PUBLISH payload
 * @param reconnectInitial first reconnect delay (doubles, jitter)
 * @param reconnectMax     ceiling of the reconnect delay
 * @param tls              TLS to the upstream broker, or null for plain TCP
 */
public record BridgeSettings(String name, HostPort endpoint, String clientId, List<String> topics, String username,
    String password, Priority priority, int maxPayloadBytes, Duration reconnectInitial, Duration reconnectMax,
    Tls tls) {

  /**
   * TLS to the upstream broker ({@code bridge.<name>.tls=true}).
   *
   * @param ca         CA certificate(s), PEM, the broker's certificate must chain to; null = the JVM's default trust store
   * @param cert       client certificate, PEM, for brokers that require one; null = none
   * @param key        its private key, PEM PKCS#8; null exactly when {@code cert} is
   * @param verifyHost check that the broker's certificate names the endpoint's host (SAN DNS or IP)
   */
  public record Tls(Path ca, Path cert, Path key, boolean verifyHost) {
    public Tls {
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException("a client certificate needs its key and the other way round");
      }
    }
  }

  /** Plain TCP. */
  public BridgeSettings(String name, HostPort endpoint, String clientId, List<String> topics, String username,
      String password, Priority priority, int maxPayloadBytes, Duration reconnectInitial, Duration reconnectMax) {
    this(name, endpoint, clientId, topics, username, password, priority, maxPayloadBytes, reconnectInitial,
        reconnectMax, null);
  }

  public static final String NAMES = "bridge.names";
  static final int DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  private static final Set<String> BRIDGE_KEYS = Set.of("endpoint", "clientId", "topics", "username", "password",
      "priority", "maxPayloadBytes", "reconnectInitialMs", "reconnectMaxMs", "tls", "ca", "cert", "key", "verifyHost");

  public BridgeSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(clientId, "clientId");
    topics = List.copyOf(topics);
    Objects.requireNonNull(priority, "priority");
  }

  /** Source id of the bridged events: {@code bridge:<name>} (one source per bridge keeps its order). */
  public String source() {
    return "bridge:" + name;
  }

  @Override
  public String toString() {
    return "BridgeSettings[" + name + " " + endpoint + (tls != null ? " tls" : "") + " clientId=" + clientId
        + " topics=" + topics + "]";
  }

  /** Reads {@code bridge.names} and each named bridge's keys; refuses unknown {@code bridge.*} keys. */
  public static List<BridgeSettings> read(Settings s) {
    List<String> names = s.list(NAMES, List.of());
    Map<String, String> section = s.section("bridge");
    for (Map.Entry<String, String> e : section.entrySet()) {
      String key = e.getKey();
      if (key.equals("names") || e.getValue().isBlank()) {
        continue;
      }
      int dot = key.indexOf('.');
      String bridge = dot < 0 ? key : key.substring(0, dot);
      String sub = dot < 0 ? "" : key.substring(dot + 1);
      if (!names.contains(bridge) || !BRIDGE_KEYS.contains(sub)) {
        throw new ConfigException(s.origin() + ": unknown key bridge." + key
            + (names.contains(bridge) ? "" : " (bridge " + bridge + " is not in bridge.names)"));
      }
    }
    List<BridgeSettings> out = new ArrayList<>();
    for (String name : names) {
      if (!NAME.matcher(name).matches()) {
        throw s.fail(NAMES, "has an invalid bridge name, must match [A-Za-z0-9_-]{1,32} (got " + name + ")");
      }
      String p = "bridge." + name + ".";
      HostPort endpoint = Settings.hostPort(s, p + "endpoint", s.requiredString(p + "endpoint"));
      String clientId = s.string(p + "clientId", "edgesync-bridge-" + name);
      if (clientId.isEmpty() || clientId.length() > 128 || clientId.indexOf('\0') >= 0) {
        throw s.fail(p + "clientId", "must be 1..128 characters without U+0000 (got " + clientId + ")");
      }
      List<String> topics = s.list(p + "topics", List.of());
      if (topics.isEmpty()) {
        throw s.fail(p + "topics", "is required: at least one topic filter to subscribe to");
      }
      for (String t : topics) {
        try {
          TopicFilter.parse(t);
        } catch (IllegalArgumentException e) {
          throw s.fail(p + "topics", "has an invalid topic filter " + t + ": " + e.getMessage());
        }
      }
      String username = s.string(p + "username", "");
      String password = s.string(p + "password", "");
      Priority priority = SourceKeys.priority(s, p);
      SourceKeys.Reconnect reconnect = SourceKeys.reconnect(s, p);
      out.add(new BridgeSettings(name, endpoint, clientId, topics, username.isEmpty() ? null : username,
          password.isEmpty() ? null : password, priority,
          s.integer(p + "maxPayloadBytes", DEFAULT_MAX_PAYLOAD_BYTES, 1, 16 * 1024 * 1024),
          reconnect.initial(), reconnect.max(), tls(s, p)));
    }
    return List.copyOf(out);
  }

  /** The {@code tls}, {@code ca}, {@code cert}, {@code key} and {@code verifyHost} keys of one bridge. */
  private static Tls tls(Settings s, String p) {
    boolean on = s.bool(p + "tls", false);
    if (!on) {
      for (String k : List.of("ca", "cert", "key", "verifyHost")) {
        if (s.has(p + k) && !s.string(p + k, "").isBlank()) {
          throw s.fail(p + k, "is set but " + p + "tls is false (set " + p + "tls=true)");
        }
      }
      return null;
    }
    Path ca = s.string(p + "ca", "").isBlank() ? null : s.existingFile(p + "ca", "");
    Path cert = s.string(p + "cert", "").isBlank() ? null : s.existingFile(p + "cert", "");
    Path key = s.string(p + "key", "").isBlank() ? null : s.existingFile(p + "key", "");
    if (cert != null && key == null) {
      throw s.fail(p + "key", "is required with " + p + "cert");
    }
    if (key != null && cert == null) {
      throw s.fail(p + "cert", "is required with " + p + "key");
    }
    return new Tls(ca, cert, key, s.bool(p + "verifyHost", true));
  }
}
