package io.edgesync.edge.mqtt;

import io.edgesync.edge.mqtt.auth.MqttAuthSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Settings of {@link MqttIngest}; built by the edge config loader from the {@code mqtt.*},
 * {@code tls.*} and {@code streams.*} keys (docs/CONFIG-edge.md).
 *
 * @param host            address the listeners bind
 * @param port            plain MQTT port; 0 picks a free one
 * @param tlsPort         MQTT over TLS port; 0 disables the TLS listener
 * @param maxPayloadBytes largest accepted PUBLISH payload, bytes
 * @param eventLoops      listener instances sharing each port, one event loop each
 * @param dedupClients    clients whose QoS1/2 packet ids are remembered for DUP detection
 * @param tlsCert         server certificate (PEM) of the TLS listener; null when tlsPort is 0
 * @param tlsKey          its private key (PEM, PKCS#8); null when tlsPort is 0
 * @param critical        topic filters of the critical class
 * @param bulk            topic filters of the bulk class
 * @param auth            client authentication and ACLs ({@link MqttAuthSettings#NONE}: none)
 */
public record IngestSettings(
    String host,
    int port,
    int tlsPort,
    int maxPayloadBytes,
    int eventLoops,
    int dedupClients,
    Path tlsCert,
    Path tlsKey,
    List<TopicFilter> critical,
    List<TopicFilter> bulk,
    MqttAuthSettings auth) {

  public IngestSettings {
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(host, "host");
    critical = List.copyOf(critical);
    bulk = List.copyOf(bulk);
    if (port < 0 || port > 65535 || tlsPort < 0 || tlsPort > 65535) {
      throw new IllegalArgumentException("ports must be 0..65535");
    }
    if (maxPayloadBytes < 1 || eventLoops < 1 || dedupClients < 1) {
      throw new IllegalArgumentException("maxPayloadBytes, eventLoops and dedupClients must be >= 1");
    }
    if (tlsPort > 0 && (tlsCert == null || tlsKey == null)) {
      throw new IllegalArgumentException("the TLS listener needs a certificate and a key");
    }
  }

  /** Plain listener only, on {@code port}, defaults elsewhere (tests, embedding). */
  public static IngestSettings plain(String host, int port, int maxPayloadBytes) {
    return new IngestSettings(host, port, 0, maxPayloadBytes, 1, 10_000, null, null, List.of(), List.of(),
        MqttAuthSettings.NONE);
  }

  public IngestSettings withStreams(List<TopicFilter> critical, List<TopicFilter> bulk) {
    return new IngestSettings(host, port, tlsPort, maxPayloadBytes, eventLoops, dedupClients, tlsCert, tlsKey,
        critical, bulk, auth);
  }

  public IngestSettings withEventLoops(int n) {
    return new IngestSettings(host, port, tlsPort, maxPayloadBytes, n, dedupClients, tlsCert, tlsKey, critical, bulk,
        auth);
  }

  public IngestSettings withTls(int tlsPort, Path cert, Path key) {
    return new IngestSettings(host, port, tlsPort, maxPayloadBytes, eventLoops, dedupClients, cert, key, critical, bulk,
        auth);
  }

  public IngestSettings withAuth(MqttAuthSettings auth) {
    return new IngestSettings(host, port, tlsPort, maxPayloadBytes, eventLoops, dedupClients, tlsCert, tlsKey, critical,
        bulk, auth);
  }
}
