package io.edgesync.edge.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.HostPort;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.mqtt.IngestHook;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.TestCerts;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.mqtt.MqttEndpoint;
import io.vertx.mqtt.MqttServer;
import io.vertx.mqtt.MqttServerOptions;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MQTT bridge against an in-test upstream broker (a vertx-mqtt server that publishes to
 * the bridge) and a real RocksDB log: CONNECT with clean session 0 and SUBSCRIBE at QoS1;
 * each PUBACK arrives only once the message is readable in the log; a DUP=1 redelivery
 * (with a payload id, and without one: packet id + fingerprint) is acknowledged and stored once.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BridgeSourceTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  private EventLog log;
  private Vertx vertx;

  /** The upstream broker: accepts the bridge, grants its subscriptions, records its PUBACKs. */
  final class Upstream {
    final MqttServer server;
    volatile MqttEndpoint endpoint;
    volatile boolean cleanSession = true;
    final List<String> subscriptions = new CopyOnWriteArrayList<>();
    /** packet id → ids stored in the log when its PUBACK arrived. */
    final Map<Integer, List<String>> storedAtAck = new ConcurrentHashMap<>();

    /** The TLS client certificate's subject of the last connection, when it presented one. */
    volatile String peer;

    Upstream(Vertx vertx) {
      this(vertx, new MqttServerOptions());
    }

    Upstream(Vertx vertx, MqttServerOptions options) {
      server = MqttServer.create(vertx, options.setHost("127.0.0.1").setPort(0));
      server.endpointHandler(e -> {
        cleanSession = e.isCleanSession();
        if (e.isSsl()) {
          try {
            peer = ((java.security.cert.X509Certificate) e.sslSession().getPeerCertificates()[0])
                .getSubjectX500Principal().getName();
          } catch (javax.net.ssl.SSLPeerUnverifiedException ignored) {
            peer = null;
          }
        }
        e.subscribeHandler(s -> {
          s.topicSubscriptions().forEach(t -> subscriptions.add(t.topicName() + "@" + t.qualityOfService().value()));
          e.subscribeAcknowledge(s.messageId(), s.topicSubscriptions().stream().map(t -> MqttQoS.AT_LEAST_ONCE)
              .toList());
        });
        e.publishAcknowledgeHandler(pid -> storedAtAck.put(pid, storedIds()));
        e.pingHandler(v -> { });
        e.accept(false);
        endpoint = e;
      });
      Poll.await(server.listen(), 10);
    }

    void publish(String topic, String payload, boolean dup, int packetId) {
      Poll.until("the bridge subscribed", WAIT, () -> !subscriptions.isEmpty());
      Poll.await(endpoint.publish(topic, Buffer.buffer(payload), MqttQoS.AT_LEAST_ONCE, dup, false, packetId), 10);
    }
  }

  private BridgeSource start(Vertx vertx, SimpleMeterRegistry registry, int port) {
    return start(vertx, registry, "plant", new HostPort("127.0.0.1", port), null);
  }

  private BridgeSource start(Vertx vertx, SimpleMeterRegistry registry, String name, HostPort endpoint,
      BridgeSettings.Tls tls) {
    this.vertx = vertx;
    if (log == null) {
      log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    }
    BridgeSettings s = new BridgeSettings(name, endpoint, "edge-1-" + name, List.of("plant/#"), null, null,
        Priority.NORMAL, 262_144, Duration.ofMillis(20), Duration.ofMillis(200), tls);
    BridgeSource b = new BridgeSource(s, log, IngestHook.NONE, registry, Clock.systemUTC());
    Poll.await(vertx.deployVerticle(b), 10);
    return b;
  }

  @AfterEach
  void closeLog() {
    if (vertx != null) {
      Poll.await(vertx.close(), 20);
    }
    if (log != null) {
      log.close();
    }
  }

  private List<Event> stored() {
    return LogContents.of(log, Priority.NORMAL);
  }

  private List<String> storedIds() {
    return stored().stream().map(e -> e.explicitId() == null ? "raw:" + new String(e.payload()) : e.explicitId())
        .toList();
  }

  @Test
  void pubackFollowsTheDurableAppendAndRedeliveriesAreStoredOnce(Vertx vertx) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Upstream up = new Upstream(vertx);
    BridgeSource bridge = start(vertx, registry, up.server.actualPort());

    up.publish("plant/line1/temp", "{\"id\":\"m-1\",\"ts\":1700000000000,\"v\":1}", false, 11);
    up.publish("plant/line1/temp", "{\"id\":\"m-2\",\"v\":2}", false, 12);
    up.publish("plant/line2/raw", "raw-3", false, 13);
    Poll.until("three PUBACKs", WAIT, () -> up.storedAtAck.size() == 3);
    assertFalse(up.cleanSession, "persistent session: clean session 0");
    assertEquals(List.of("plant/#@1"), up.subscriptions);
    // each PUBACK came only once its message was readable in the log
    assertTrue(up.storedAtAck.get(11).contains("m-1"), up.storedAtAck.toString());
    assertTrue(up.storedAtAck.get(12).contains("m-2"), up.storedAtAck.toString());
    assertTrue(up.storedAtAck.get(13).contains("raw:raw-3"), up.storedAtAck.toString());

    // WHEN the upstream redelivers them (DUP=1, same packet ids), and a new message reuses packet id 13
    up.storedAtAck.clear();
    up.publish("plant/line1/temp", "{\"id\":\"m-1\",\"ts\":1700000000000,\"v\":1}", true, 11);
    up.publish("plant/line2/raw", "raw-3", true, 13);
    up.publish("plant/line2/raw", "raw-4", false, 13);
    Poll.until("three more PUBACKs", WAIT, () -> up.storedAtAck.size() == 2 && bridge.status()
        .getLong("messages") == 6);
    Poll.until("raw-4 stored", WAIT, this::storedIds, ids -> ids.contains("raw:raw-4"));

    // THEN each message is stored once, in order, with source bridge:plant and the upstream topic
    assertEquals(List.of("m-1", "m-2", "raw:raw-3", "raw:raw-4"), storedIds());
    Event first = stored().get(0);
    assertEquals("bridge:plant", first.source());
    assertEquals("plant/line1/temp", first.topic());
    assertEquals(1_700_000_000_000L, first.eventTimeMs());
    assertEquals(2, bridge.status().getLong("redeliveries"));
    assertEquals(2, bridge.status().getLong("duplicates"));
    assertTrue(bridge.status().getBoolean("connected"));
    assertEquals(1.0, registry.get("edge.bridge.connected").tag("bridge", "plant").gauge().value());
  }

  @Test
  void overTlsTheBridgeVerifiesTheBrokerAndPresentsItsCertificate(Vertx vertx) throws Exception {
    // GIVEN a plant broker on TLS (OpenSSL) that requires client certificates of the plant CA
    TestCerts.Ca plantCa = TestCerts.ca(dir, "plant");
    TestCerts.Leaf broker = TestCerts.leaf(plantCa, dir, "broker");
    TestCerts.Leaf bridgeCert = TestCerts.leaf(plantCa, dir, "edge-1");
    Upstream up = new Upstream(vertx, tlsServer(broker).setTrustOptions(new PemTrustOptions()
        .addCertPath(plantCa.certPath().toString())).setClientAuth(ClientAuth.REQUIRED));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    // WHEN the bridge connects with the plant CA and its certificate
    BridgeSource bridge = start(vertx, registry, "plant", new HostPort("localhost", up.server.actualPort()),
        new BridgeSettings.Tls(plantCa.certPath(), bridgeCert.certPath(), bridgeCert.keyPath(), true));

    // THEN the broker saw its certificate, and messages are stored and acknowledged as over TCP
    up.publish("plant/line1/temp", "{\"id\":\"t-1\"}", false, 21);
    Poll.until("the PUBACK", WAIT, () -> up.storedAtAck.containsKey(21));
    assertEquals(List.of("t-1"), storedIds());
    assertEquals("CN=edge-1", up.peer);
    assertTrue(bridge.status().getBoolean("tls"));
    assertEquals(null, bridge.status().getString("lastError"));
  }

  @Test
  void overTlsABrokerCertificateOfAnotherCaOrForAnotherHostIsRefused(Vertx vertx) throws Exception {
    TestCerts.Ca plantCa = TestCerts.ca(dir, "plant");
    TestCerts.Ca otherCa = TestCerts.ca(dir, "other");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    // GIVEN a broker whose certificate names no host (no SAN)
    Upstream up = new Upstream(vertx, tlsServer(TestCerts.leaf(plantCa, dir, "broker", false)));
    HostPort endpoint = new HostPort("127.0.0.1", up.server.actualPort());

    // WHEN bridges connect trusting another CA, and trusting the right CA with host verification on
    BridgeSource wrongCa = start(vertx, registry, "wrongca", endpoint,
        new BridgeSettings.Tls(otherCa.certPath(), null, null, true));
    BridgeSource wrongHost = start(vertx, registry, "wronghost", endpoint,
        new BridgeSettings.Tls(plantCa.certPath(), null, null, true));

    // THEN neither connects, and each says why in its status
    Poll.until("both failed", WAIT, () -> wrongCa.status().getString("lastError") != null
        && wrongHost.status().getString("lastError") != null);
    assertFalse(wrongCa.status().getBoolean("connected"));
    assertFalse(wrongHost.status().getBoolean("connected"));
    assertTrue(up.endpoint == null, "no MQTT CONNECT reached the broker");

    // AND with verifyHost=false (a plant broker with a certificate for no name) the right CA is enough
    BridgeSource lenient = start(vertx, registry, "lenient", endpoint,
        new BridgeSettings.Tls(plantCa.certPath(), null, null, false));
    Poll.until("connected", WAIT, () -> lenient.status().getBoolean("connected"));
    assertTrue(wrongCa.status().getString("lastError").contains("SSL") || wrongCa.status().getString("lastError")
        .contains("certificate"), wrongCa.status().getString("lastError"));
  }

  private static MqttServerOptions tlsServer(TestCerts.Leaf cert) {
    MqttServerOptions o = new MqttServerOptions();
    o.setSsl(true).setSslEngineOptions(new OpenSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.certPath().toString())
            .setKeyPath(cert.keyPath().toString()));
    return o;
  }
}
