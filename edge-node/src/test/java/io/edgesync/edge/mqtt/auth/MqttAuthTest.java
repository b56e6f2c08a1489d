package io.edgesync.edge.mqtt.auth;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.mqtt.IngestSettings;
import io.edgesync.edge.mqtt.MqttIngest;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.TestCerts;
import io.edgesync.model.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * MQTT authentication and topic ACLs on a real listener (plain and TLS with the OpenSSL
 * engine), with real clients: Paho 3.1.1 and a raw MQTT 5 / 3.1.1 socket client that shows
 * the reason codes.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class MqttAuthTest {
  private static final String PASSWORD = "correct horse"; // PasswordHashTest.VECTOR

  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<MqttAsyncClient> clients = new ArrayList<>();
  private TestCerts.Ca fleet;
  private TestCerts.Leaf server;
  private Path usersFile;
  private EventLog log;
  private MqttIngest ingest;

  @BeforeEach
  void pki() throws Exception {
    fleet = TestCerts.ca(dir, "fleet");
    server = TestCerts.leaf(fleet, dir, "edge-1");
    usersFile = dir.resolve("mqtt-users.yaml");
    Files.writeString(usersFile, """
        - username: sensor-1
          hash: %s
          publish: [sensors/1/#]
          subscribe: [alerts/#]
        - username: sensor-2
          hash: %s
          publish: [sensors/2/#]
        - username: plc-3
          certificate: true
          publish: [plc/3/#]
        """.formatted(PasswordHashTest.VECTOR, PasswordHashTest.VECTOR));
  }

  private void start(Vertx vertx, boolean password, boolean certificate) throws Exception {
    start(vertx, password, certificate, MqttAuthSettings.DEFAULT_RELOAD_MS);
  }

  private void start(Vertx vertx, boolean password, boolean certificate, long reloadMs) throws Exception {
    start(vertx, new MqttAuthSettings(password, certificate, usersFile, certificate ? fleet.certPath() : null,
        UsersFile.load(usersFile), reloadMs));
  }

  private void start(Vertx vertx, MqttAuthSettings auth) throws Exception {
    IngestSettings s = IngestSettings.plain("127.0.0.1", 0, 262_144).withEventLoops(2)
        .withTls(freePort(), server.certPath(), server.keyPath()).withAuth(auth);
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    ingest = new MqttIngest(vertx, s, log, registry);
    await(ingest.start(), 20);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (MqttAsyncClient c : clients) {
      if (c.isConnected()) {
        c.disconnect(0).waitForCompletion(5000);
      }
      c.close();
    }
    if (ingest != null) {
      await(ingest.stop(), 20);
    }
    if (log != null) {
      log.close();
    }
  }

  @Test
  void wrongPasswordAndUnknownUserAreRefusedWithCode4AndNoCredentialsWith5OnMqtt311(Vertx vertx) throws Exception {
    start(vertx, true, true);

    assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, refusedCode("wrong-pw", "sensor-1", "nope"));
    assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, refusedCode("ghost", "ghost", PASSWORD));
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refusedCode("anonymous", null, null));

    assertEquals(1.0, failures("bad_password"));
    assertEquals(1.0, failures("unknown_user"));
    assertEquals(1.0, failures("not_authorized"));
    assertEquals(0, ingest.connections());
  }

  @Test
  void mqtt5WrongPasswordGets0x86AndNoCredentials0x87(Vertx vertx) throws Exception {
    start(vertx, true, false);
    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 5)) {
      assertEquals(0x86, c.connect("v5-wrong", "sensor-1", "nope"));
    }
    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 5)) {
      assertEquals(0x86, c.connect("v5-ghost", "ghost", PASSWORD));
    }
    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 5)) {
      assertEquals(0x87, c.connect("v5-anon", null, null));
    }
    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 5)) {
      assertEquals(0x00, c.connect("v5-ok", "sensor-1", PASSWORD));
    }
    assertEquals(1.0, failures("bad_password"));
    assertEquals(1.0, failures("unknown_user"));
    assertEquals(1.0, failures("not_authorized"));
  }

  @Test
  void successfulVerificationsAreCached(Vertx vertx) throws Exception {
    start(vertx, true, false);
    for (int i = 0; i < 3; i++) {
      try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 4)) {
        assertEquals(0, c.connect("again-" + i, "sensor-1", PASSWORD));
      }
    }
    assertEquals(2.0, registry.get("edge.mqtt.auth.cache.hits").counter().count());
    // a wrong password is never answered from the cache
    assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, refusedCode("after-cache", "sensor-1", "nope"));
  }

  @Test
  void mqtt5PublishOutsideTheAclGetsPuback0x87AndIsNotStoredWhileOthersAreUnaffected(Vertx vertx) throws Exception {
    start(vertx, true, true);
    MqttAsyncClient other = paho("tcp://127.0.0.1:" + ingest.actualPort(), "dev-2", "sensor-2", PASSWORD, null);

    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 5)) {
      assertEquals(0, c.connect("dev-1", "sensor-1", PASSWORD));
      assertEquals(0x00, c.publishQos1("sensors/1/t", 1, "{\"id\":\"a\"}"));
      for (int i = 0; i < 50; i++) {
        other.publish("sensors/2/t", ("{\"id\":\"o" + i + "\"}").getBytes(StandardCharsets.UTF_8), 1, false);
      }
      assertEquals(0x87, c.publishQos1("sensors/2/t", 2, "{\"id\":\"forged\"}"));
      assertEquals(0x87, c.publishQos1("alerts/x", 3, "{\"id\":\"forged2\"}"));
      assertEquals(0x00, c.publishQos1("sensors/1/t", 4, "{\"id\":\"b\"}"), "the connection keeps working");
    }
    Poll.until("the other client's 50 messages", Duration.ofSeconds(20), () -> LogContents.all(log).size() >= 52);

    assertEquals(Map.of("dev-1", 2, "dev-2", 50), countBySource(LogContents.all(log)));
    assertEquals(2.0, registry.get("edge.mqtt.acl.denied").tag("action", "publish").counter().count());
  }

  @Test
  void mqtt311PublishOutsideTheAclClosesTheConnectionAndIsNotStored(Vertx vertx) throws Exception {
    start(vertx, true, true);
    MqttAsyncClient other = paho("tcp://127.0.0.1:" + ingest.actualPort(), "dev-2", "sensor-2", PASSWORD, null);

    try (RawMqtt5 c = new RawMqtt5(ingest.actualPort(), 4)) {
      assertEquals(0, c.connect("dev-1", "sensor-1", PASSWORD));
      assertEquals(0, c.publishQos1("sensors/1/t", 1, "{\"id\":\"a\"}"));
      for (int i = 0; i < 20; i++) {
        other.publish("sensors/2/t", ("{\"id\":\"o" + i + "\"}").getBytes(StandardCharsets.UTF_8), 1, false)
            .waitForCompletion(10_000);
      }
      c.publishQos1NoAck("sensors/2/t", 2, "{\"id\":\"forged\"}");
      assertTrue(c.closedByServer(), "MQTT 3.1.1: the server closes the connection");
    }
    other.publish("sensors/2/t", "{\"id\":\"after\"}".getBytes(StandardCharsets.UTF_8), 1, false)
        .waitForCompletion(10_000);

    assertEquals(Map.of("dev-1", 1, "dev-2", 21), countBySource(LogContents.all(log)));
    assertEquals(1.0, registry.get("edge.mqtt.acl.denied").tag("action", "publish").counter().count());
  }

  @Test
  void subscribeOutsideTheAclIsRefusedPerFilter(Vertx vertx) throws Exception {
    start(vertx, true, false);
    try (RawMqtt5 v5 = new RawMqtt5(ingest.actualPort(), 5); RawMqtt5 v4 = new RawMqtt5(ingest.actualPort(), 4)) {
      assertEquals(0, v5.connect("sub-5", "sensor-1", PASSWORD));
      assertEquals(0, v4.connect("sub-4", "sensor-1", PASSWORD));
      assertEquals(0x01, v5.subscribe("alerts/#", 1), "granted QoS 1");
      assertEquals(0x87, v5.subscribe("#", 2));
      assertEquals(0x87, v5.subscribe("sensors/1/#", 3), "publish rights are not subscribe rights");
      assertEquals(0x01, v4.subscribe("alerts/x", 1));
      assertEquals(0x80, v4.subscribe("#", 2));
    }
    assertEquals(3.0, registry.get("edge.mqtt.acl.denied").tag("action", "subscribe").counter().count());
  }

  @Test
  void certificateIdentityConnectsOverTlsAndGetsItsAcl(Vertx vertx) throws Exception {
    start(vertx, true, true);
    TestCerts.Leaf plc = TestCerts.leaf(fleet, dir, "plc-3");
    MqttAsyncClient c = paho("ssl://127.0.0.1:" + ingest.actualTlsPort(), "plc-client", null, null,
        TestCerts.clientContext(fleet, plc));
    for (int i = 0; i < 5; i++) {
      c.publish("plc/3/temp", ("{\"id\":\"p" + i + "\"}").getBytes(StandardCharsets.UTF_8), 1, false)
          .waitForCompletion(10_000);
    }
    assertEquals(Map.of("plc-client", 5), countBySource(LogContents.all(log)));

    // a valid fleet certificate whose CN is not a certificate identity: not authorized (5)
    TestCerts.Leaf stranger = TestCerts.leaf(fleet, dir, "stranger");
    MqttException e = assertThrows(MqttException.class, () -> paho("ssl://127.0.0.1:" + ingest.actualTlsPort(),
        "stranger", null, null, TestCerts.clientContext(fleet, stranger)));
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, e.getReasonCode());
    assertEquals(1.0, failures("unknown_certificate"));
    // a password client on the same TLS listener (mode password,certificate)
    MqttAsyncClient pw = paho("ssl://127.0.0.1:" + ingest.actualTlsPort(), "pw-over-tls", "sensor-1", PASSWORD,
        TestCerts.clientContext(fleet, null));
    pw.publish("sensors/1/x", "{\"id\":\"t1\"}".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertEquals(Map.of("plc-client", 5, "pw-over-tls", 1), countBySource(LogContents.all(log)));
  }

  @Test
  void clientCertificateFromAnUnknownCaIsRefusedAtTheHandshake(Vertx vertx) throws Exception {
    start(vertx, false, true);
    TestCerts.Ca rogue = TestCerts.ca(dir, "rogue");
    TestCerts.Leaf impostor = TestCerts.leaf(rogue, dir, "plc-3"); // right CN, wrong CA

    // TLS 1.2: the handshake itself fails (an alert, or the server resets the socket)
    SSLContext ctx = TestCerts.clientContext(fleet, impostor);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", ingest.actualTlsPort())) {
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      assertThrows(java.io.IOException.class, () -> {
        s.startHandshake();
        s.getInputStream().read(); // the server's alert
      });
    }
    // TLS 1.3 with Paho: the connection is refused before any MQTT exchange
    assertThrows(MqttException.class, () -> paho("ssl://127.0.0.1:" + ingest.actualTlsPort(), "impostor", null, null,
        ctx));
    // certificate-only mode: no certificate at all is refused at the handshake too
    assertThrows(MqttException.class, () -> paho("ssl://127.0.0.1:" + ingest.actualTlsPort(), "no-cert", null, null,
        TestCerts.clientContext(fleet, null)));
    // and the plain listener has no certificates: not authorized
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, refusedCode("plain", "sensor-1", PASSWORD));

    assertEquals(0, ingest.connections());
    assertTrue(LogContents.all(log).isEmpty());
    // the genuine identity still connects
    MqttAsyncClient ok = paho("ssl://127.0.0.1:" + ingest.actualTlsPort(), "plc-ok", null, null,
        TestCerts.clientContext(fleet, TestCerts.leaf(fleet, dir, "plc-3")));
    ok.publish("plc/3/x", "{\"id\":\"k\"}".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertEquals(1, LogContents.all(log).size());
  }

  @Test
  void tlsListenerRefusesCbcCipherSuitesAndSpeaksTls12WithGcm(Vertx vertx) throws Exception {
    start(vertx, true, false);
    SSLContext ctx = TestCerts.clientContext(fleet, null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", ingest.actualTlsPort())) {
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"});
      assertThrows(SSLException.class, s::startHandshake);
    }
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", ingest.actualTlsPort())) {
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertEquals("TLSv1.2", s.getSession().getProtocol());
      assertTrue(s.getSession().getCipherSuite().contains("_GCM_") || s.getSession().getCipherSuite().contains("CHACHA"),
          s.getSession().getCipherSuite());
    }
  }

  @Test
  void aChangedUsersFileAppliesToNewConnectionsClosesOpenOnesItRemovesOrChangesAndAnInvalidOneIsRefused(Vertx vertx)
      throws Exception {
    // GIVEN password auth with sensor-1, -2 and -3 connected, the file checked every 100 ms
    Files.writeString(usersFile, """
        - username: sensor-1
          hash: %1$s
          publish: [sensors/1/#]
        - username: sensor-2
          hash: %1$s
          publish: [sensors/2/#]
        - username: sensor-3
          hash: %1$s
          publish: [sensors/3/#]
        """.formatted(PasswordHashTest.VECTOR));
    start(vertx, true, false, 100);
    String url = "tcp://127.0.0.1:" + ingest.actualPort();
    MqttAsyncClient removed = paho(url, "s1", "sensor-1", PASSWORD, null);
    MqttAsyncClient unchanged = paho(url, "s2", "sensor-2", PASSWORD, null);
    MqttAsyncClient changed = paho(url, "s3", "sensor-3", PASSWORD, null);

    // WHEN the operator replaces the file: sensor-1 removed, sensor-2 as it was, sensor-3's ACL
    // widened, sensor-9 added
    Files.writeString(usersFile, """
        - username: sensor-2
          hash: %1$s
          publish: [sensors/2/#]
        - username: sensor-3
          hash: %1$s
          publish: [sensors/3/#, sensors/shared/#]
        - username: sensor-9
          hash: %1$s
          publish: [sensors/9/#]
        """.formatted(PasswordHashTest.VECTOR));
    awaitReloads("ok", 1);

    // THEN the connections of the removed and the changed entry are closed, the other stays
    awaitCount("edge.mqtt.rejected", "user_removed", 1, "reason");
    awaitCount("edge.mqtt.rejected", "user_changed", 1, "reason");
    awaitDisconnected(removed);
    awaitDisconnected(changed);
    assertTrue(unchanged.isConnected());
    unchanged.publish("sensors/2/t", "{\"id\":\"u1\"}".getBytes(StandardCharsets.UTF_8), 1, false)
        .waitForCompletion(10_000);
    // AND new connections use the new users: sensor-1 is refused, sensor-3 is back with its new ACL
    assertEquals(MqttException.REASON_CODE_FAILED_AUTHENTICATION, refusedCode("removed", "sensor-1", PASSWORD));
    MqttAsyncClient again = paho(url, "s3", "sensor-3", PASSWORD, null);
    again.publish("sensors/shared/t", "{\"id\":\"c1\"}".getBytes(StandardCharsets.UTF_8), 1, false)
        .waitForCompletion(10_000);
    paho(url, "added", "sensor-9", PASSWORD, null);
    assertEquals(Map.of("s2", 1, "s3", 1), countBySource(LogContents.all(log)));
    assertEquals(3.0, registry.get("edge.mqtt.auth.users").gauge().value());

    // AND an invalid file is refused and counted; the users and their connections stay as they were
    Files.writeString(usersFile, "- username: broken\n  hash: not-a-hash\n");
    awaitReloads("failed", 1);
    paho(url, "still", "sensor-9", PASSWORD, null);
    assertTrue(unchanged.isConnected() && again.isConnected());
    assertEquals(1.0, registry.get("edge.mqtt.auth.reloads").tag("result", "ok").counter().count());
  }

  @Test
  void aCertificateListedByTheClientCrlIsRefusedAndANewCrlClosesItsOpenConnections(Vertx vertx) throws Exception {
    // GIVEN plc-3's first certificate revoked (key compromise) and a new one issued with the same CN
    TestCerts.Leaf stolen = TestCerts.leaf(fleet, dir, "plc-3");
    TestCerts.Leaf current = TestCerts.leaf(fleet, dir, "plc-3");
    Path crl = TestCerts.crl(fleet, dir.resolve("devices.crl"), stolen.cert());
    start(vertx, new MqttAuthSettings(true, true, usersFile, fleet.certPath(), UsersFile.load(usersFile), 100, crl));
    String url = "ssl://127.0.0.1:" + ingest.actualTlsPort();
    assertEquals(1.0, registry.get("edge.mqtt.auth.crl.revoked").gauge().value());

    // THEN the revoked certificate is refused at CONNECT (not authorized), even with a valid password too
    MqttException e = assertThrows(MqttException.class, () -> paho(url, "thief", null, null,
        TestCerts.clientContext(fleet, stolen)));
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, e.getReasonCode());
    e = assertThrows(MqttException.class, () -> paho(url, "thief-pw", "sensor-1", PASSWORD,
        TestCerts.clientContext(fleet, stolen)));
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, e.getReasonCode());
    assertEquals(2.0, failures("revoked_certificate"));
    // AND the current one connects and publishes, as does a password client
    MqttAsyncClient plc = paho(url, "plc", null, null, TestCerts.clientContext(fleet, current));
    plc.publish("plc/3/t", "{\"id\":\"c1\"}".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertEquals(Map.of("plc", 1), countBySource(LogContents.all(log)));
    MqttAsyncClient sensor = paho("tcp://127.0.0.1:" + ingest.actualPort(), "sensor", "sensor-1", PASSWORD, null);

    // WHEN the operator replaces the CRL, revoking the current certificate too
    TestCerts.crl(fleet, crl, stolen.cert(), current.cert());
    awaitCrlReloads("ok", 1);

    // THEN the connection open with it is closed, and new connections with it are refused
    awaitCount("edge.mqtt.rejected", "revoked_certificate", 1, "reason");
    awaitDisconnected(plc);
    e = assertThrows(MqttException.class, () -> paho(url, "plc-again", null, null,
        TestCerts.clientContext(fleet, current)));
    assertEquals(MqttException.REASON_CODE_NOT_AUTHORIZED, e.getReasonCode());
    assertEquals(2.0, registry.get("edge.mqtt.auth.crl.revoked").gauge().value());
    // AND the other client keeps its connection; what plc published before is stored
    assertTrue(sensor.isConnected());
    sensor.publish("sensors/1/t", "{\"id\":\"s1\"}".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);
    assertEquals(Map.of("plc", 1, "sensor", 1), countBySource(LogContents.all(log)));

    // AND a CRL signed by another CA is refused and counted; the previous CRL stays in force
    TestCerts.crl(TestCerts.ca(Files.createDirectories(dir.resolve("rogue")), "fleet"), crl); // same name, other key
    awaitCrlReloads("failed", 1);
    assertThrows(MqttException.class, () -> paho(url, "plc-third", null, null, TestCerts.clientContext(fleet, current)));
    assertEquals(4.0, failures("revoked_certificate"));
  }

  // ---------------------------------------------------------------- helpers

  private static void awaitDisconnected(MqttAsyncClient c) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (c.isConnected() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(c.isConnected(), c.getClientId() + " is disconnected by the edge");
  }

  private void awaitCrlReloads(String result, double n) throws InterruptedException {
    awaitCount("edge.mqtt.auth.crl.reloads", result, n);
  }

  private void awaitReloads(String result, double n) throws InterruptedException {
    awaitCount("edge.mqtt.auth.reloads", result, n);
  }

  private void awaitCount(String counter, String result, double n) throws InterruptedException {
    awaitCount(counter, result, n, "result");
  }

  private void awaitCount(String counter, String value, double n, String tag) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (registry.find(counter).tag(tag, value).counter() == null
        || registry.get(counter).tag(tag, value).counter().count() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + counter + "{" + tag + "=" + value + "} reaching " + n + " within 15 s");
      }
      Thread.sleep(20);
    }
  }

  private int refusedCode(String clientId, String user, String password) throws Exception {
    MqttException e = assertThrows(MqttException.class,
        () -> paho("tcp://127.0.0.1:" + ingest.actualPort(), clientId, user, password, null));
    return e.getReasonCode();
  }

  private MqttAsyncClient paho(String uri, String clientId, String user, String password, SSLContext tls)
      throws MqttException {
    MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setAutomaticReconnect(false);
    o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); // no silent retry as 3.1
    o.setMaxInflight(100);
    o.setConnectionTimeout(10);
    if (user != null) {
      o.setUserName(user);
    }
    if (password != null) {
      o.setPassword(password.toCharArray());
    }
    if (tls != null) {
      o.setSocketFactory(tls.getSocketFactory());
      o.setHttpsHostnameVerificationEnabled(false);
    }
    try {
      c.connect(o).waitForCompletion(15_000);
    } catch (MqttException e) {
      c.close(true);
      throw e;
    }
    clients.add(c);
    return c;
  }

  private double failures(String reason) {
    return registry.get("edge.mqtt.auth.failures").tag("reason", reason).counter().count();
  }

  private static Map<String, Integer> countBySource(List<Event> events) {
    Map<String, Integer> m = new TreeMap<>();
    events.forEach(e -> m.merge(e.source(), 1, Integer::sum));
    return m;
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
