package io.edgesync.edge.mqtt;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.RawMqtt;
import io.edgesync.edge.testsupport.SelfSignedPem;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttIngestTest {
  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<MqttAsyncClient> clients = new ArrayList<>();
  private EventLog log;
  private MqttIngest ingest;

  private MqttIngest start(Vertx vertx, IngestSettings settings) {
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    ingest = new MqttIngest(vertx, settings, log, registry);
    await(ingest.start(), 20);
    return ingest;
  }

  private static IngestSettings plain() {
    return IngestSettings.plain("127.0.0.1", 0, 262_144).withEventLoops(2);
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

  MqttAsyncClient paho(String uri, String clientId) throws Exception {
    MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setMaxInflight(1000);
    o.setAutomaticReconnect(false);
    c.connect(o).waitForCompletion(10_000);
    clients.add(c);
    return c;
  }

  MqttAsyncClient paho(String clientId) throws Exception {
    return paho("tcp://127.0.0.1:" + ingest.actualPort(), clientId);
  }

  static byte[] payload(String client, int i) {
    String s = switch (i % 3) {
      case 0 -> "{\"id\":\"" + client + "-" + i + "\",\"ts\":" + (1_700_000_000_000L + i) + ",\"value\":" + i + "}";
      case 1 -> "{\"value\":" + i + ",\"nested\":{\"id\":\"not-me\"}}";
      default -> "raw-" + client + "-" + i;
    };
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void thousandQos1MessagesFromTwoClientsAreStoredExactlyOnce(Vertx vertx) throws Exception {
    // GIVEN an ingest on two event loops and two Paho clients
    start(vertx, plain());
    MqttAsyncClient a = paho("dev-a");
    MqttAsyncClient b = paho("dev-b");

    // WHEN each publishes 500 QoS1 messages (JSON with id+ts, JSON without, opaque)
    long t0 = System.nanoTime();
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      tokens.add(a.publish("sensors/dev-a/temp", payload("dev-a", i), 1, false));
      tokens.add(b.publish("sensors/dev-b/temp", payload("dev-b", i), 1, false));
    }
    for (IMqttDeliveryToken t : tokens) {
      t.waitForCompletion(20_000);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("MqttIngestTest: 1000 QoS1 messages from 2 Paho clients acked in %.3f s = %.0f msg/s%n",
        seconds, 1000 / seconds);

    // THEN exactly 1000 events are in the log, 500 per source, fields extracted
    List<Event> events = LogContents.all(log);
    assertEquals(1000, events.size());
    Map<String, Integer> perSource = new TreeMap<>();
    events.forEach(e -> perSource.merge(e.source(), 1, Integer::sum));
    assertEquals(Map.of("dev-a", 500, "dev-b", 500), perSource);
    for (Event e : events) {
      assertEquals(Priority.NORMAL, e.priority());
      String text = new String(e.payload(), StandardCharsets.UTF_8);
      if (text.startsWith("{\"id\"")) {
        String id = e.explicitId();
        int i = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
        assertEquals(e.source() + "-" + i, id);
        assertEquals(1_700_000_000_000L + i, e.eventTimeMs());
        assertArrayEquals(payload(e.source(), i), e.payload());
      } else {
        assertNull(e.explicitId(), text);
        assertEquals(e.ingestTimeMs(), e.eventTimeMs(), "no ts: event time is ingest time");
      }
    }
    assertEquals(334, events.stream().filter(e -> e.explicitId() != null).count());
    assertEquals(332, events.stream().filter(e -> new String(e.payload(), StandardCharsets.UTF_8)
        .startsWith("raw-")).count());
    assertEquals(1000.0, registry.get("edge.events.in").tag("class", "normal").counter().count());
    assertEquals(1000, registry.get("edge.puback").timer().count());
  }

  @Test
  void pubackIsObservedOnlyAfterTheEventIsReadableInTheLog(Vertx vertx) throws Exception {
    // GIVEN a client that, whenever a PUBACK arrives, looks for its event in the log
    start(vertx, plain());
    MqttAsyncClient c = paho("dev-durable");
    List<String> missing = new CopyOnWriteArrayList<>();
    ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    IMqttActionListener onPuback = new IMqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        String id = (String) token.getUserContext();
        boolean stored = LogContents.of(log, Priority.NORMAL).stream().anyMatch(e -> id.equals(e.explicitId()));
        if (!stored) {
          missing.add(id);
        }
        acked.add(id);
      }

      @Override
      public void onFailure(IMqttToken token, Throwable exception) {
        missing.add("failed:" + token.getUserContext());
      }
    };

    // WHEN it publishes 200 QoS1 messages
    for (int i = 0; i < 200; i++) {
      String id = "d-" + i;
      c.publish("sensors/durable", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), 1, false, id,
          onPuback);
    }

    // THEN every PUBACK came after its event was durable and readable
    Poll.until("200 PUBACKs", Duration.ofSeconds(30), () -> acked.size() == 200);
    assertEquals(List.of(), missing);
  }

  @Test
  void qos0PublishIsStoredWithoutAcknowledgement(Vertx vertx) throws Exception {
    start(vertx, plain());
    MqttAsyncClient c = paho("dev-q0");
    c.publish("sensors/q0", "{\"id\":\"zero\"}".getBytes(StandardCharsets.UTF_8), 0, false).waitForCompletion(5000);
    Poll.until("the QoS0 event in the log", Duration.ofSeconds(10), () -> LogContents.all(log).size() == 1);
    Event e = LogContents.all(log).get(0);
    assertEquals("zero", e.explicitId());
    assertEquals("dev-q0", e.source());
    assertEquals("sensors/q0", e.topic());
    assertEquals(0, registry.get("edge.puback").timer().count());
  }

  @Test
  void qos2PublishIsStoredOnceAndCompleted(Vertx vertx) throws Exception {
    start(vertx, plain());
    MqttAsyncClient c = paho("dev-q2");
    for (int i = 0; i < 20; i++) {
      // Paho completes a QoS2 token only after PUBREC, PUBREL and PUBCOMP
      c.publish("sensors/q2", ("{\"id\":\"two-" + i + "\"}").getBytes(StandardCharsets.UTF_8), 2, false)
          .waitForCompletion(10_000);
    }
    assertEquals(20, LogContents.all(log).size());
  }

  @Test
  void redeliveredQos1PublishIsStoredOnce(Vertx vertx) throws Exception {
    // GIVEN a raw client that got PUBACK for packet id 7
    start(vertx, plain());
    byte[] first = "{\"v\":1}".getBytes(StandardCharsets.UTF_8);
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect("dup-client");
      raw.publishQos1("sensors/dup", 7, first, false);
      assertEquals(7, raw.readPuback());

      // WHEN it sends the same packet again with DUP=1, twice
      raw.publishQos1("sensors/dup", 7, first, true);
      assertEquals(7, raw.readPuback());
      raw.publishQos1("sensors/dup", 7, first, true);
      assertEquals(7, raw.readPuback());

      // THEN it is acknowledged each time and stored once
      assertEquals(1, LogContents.all(log).size());
      assertEquals(2.0, registry.get("edge.mqtt.dedup.hits").counter().count());

      // AND reusing id 7 with DUP=0 is a new message
      raw.publishQos1("sensors/dup", 7, "{\"v\":2}".getBytes(StandardCharsets.UTF_8), false);
      assertEquals(7, raw.readPuback());
      assertEquals(2, LogContents.all(log).size());
    }

    // AND a DUP redelivery after a reconnect is still recognised
    try (RawMqtt again = new RawMqtt(ingest.actualPort())) {
      again.connect("dup-client");
      again.publishQos1("sensors/dup", 7, "{\"v\":2}".getBytes(StandardCharsets.UTF_8), true);
      assertEquals(7, again.readPuback());
      assertEquals(2, LogContents.all(log).size());
    }
  }

  @Test
  void pubacksOfABurstArriveInPublishOrderWithAtMostOneWritePerGroupCommit(Vertx vertx) throws Exception {
    // GIVEN a raw client
    start(vertx, plain());
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect("burst-client");

      // WHEN it sends 500 QoS1 PUBLISHes without waiting for any PUBACK
      for (int id = 1; id <= 500; id++) {
        raw.publishQos1("sensors/burst", id, ("{\"id\":\"b-" + id + "\"}").getBytes(StandardCharsets.UTF_8), false);
      }

      // THEN the 500 PUBACKs arrive in PUBLISH order
      for (int id = 1; id <= 500; id++) {
        assertEquals(id, raw.readPuback());
      }
    }
    // AND each was sent after its event was stored
    assertEquals(500, LogContents.all(log).size());
    assertEquals(500, registry.get("edge.puback").timer().count());
    // AND they left in batches: at most one socket write per group commit (one connection); the
    // counter moves just after the write, so the client may read the bytes before it does
    Poll.until("the PUBACK writes counted", Duration.ofSeconds(5),
        () -> registry.get("edge.mqtt.puback.flushes").counter().count() >= 1);
    double writes = registry.get("edge.mqtt.puback.flushes").counter().count();
    long groups = registry.get("edge.log.group.size").summary().count();
    System.out.printf("MqttIngestTest: 500 PUBACKs in %.0f socket writes, %d group commits%n", writes, groups);
    assertTrue(writes >= 1 && writes <= groups, writes + " writes for " + groups + " group commits");
  }

  @Test
  void mqtt5ClientsArePublishingToo(Vertx vertx) throws Exception {
    start(vertx, plain());
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect5("v5-client");
      raw.publishQos1v5("sensors/v5", 1, "{\"id\":\"five\",\"ts\":42}".getBytes(StandardCharsets.UTF_8), false);
      assertEquals(1, raw.readPuback());
      raw.publishQos1v5("sensors/v5", 1, "{\"id\":\"five\",\"ts\":42}".getBytes(StandardCharsets.UTF_8), true);
      assertEquals(1, raw.readPuback());
    }
    List<Event> events = LogContents.all(log);
    assertEquals(1, events.size());
    assertEquals("five", events.get(0).explicitId());
    assertEquals(42, events.get(0).eventTimeMs());
    assertEquals("v5-client", events.get(0).source());
  }

  @Test
  void topicsAreClassifiedByTheStreamFilters(Vertx vertx) throws Exception {
    start(vertx, plain().withStreams(List.of(TopicFilter.parse("alarms/#")), List.of(TopicFilter.parse("logs/+"))));
    MqttAsyncClient c = paho("dev-cls");
    c.publish("alarms/fire/1", new byte[] {1}, 1, false).waitForCompletion(5000);
    c.publish("logs/app", new byte[] {2}, 1, false).waitForCompletion(5000);
    c.publish("logs/app/deep", new byte[] {3}, 1, false).waitForCompletion(5000);
    assertEquals(1, LogContents.of(log, Priority.CRITICAL).size());
    assertEquals(1, LogContents.of(log, Priority.BULK).size());
    assertEquals(1, LogContents.of(log, Priority.NORMAL).size());
    assertEquals(1, log.lastClassSeq(Priority.CRITICAL));
  }

  @Test
  void emptyClientIdGetsOneAssigned(Vertx vertx) throws Exception {
    start(vertx, plain());
    MqttAsyncClient c = paho("");
    c.publish("sensors/anon", new byte[] {1}, 1, false).waitForCompletion(5000);
    String source = LogContents.all(log).get(0).source();
    assertTrue(!source.isEmpty(), "an assigned client id is the source");
  }

  @Test
  void subscribersReceiveLocalPublishes(Vertx vertx) throws Exception {
    start(vertx, plain());
    MqttAsyncClient sub = paho("subscriber");
    ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
    sub.subscribe("alerts/#", 1, (topic, msg) -> received.add(topic + "=" + new String(msg.getPayload(),
        StandardCharsets.UTF_8))).waitForCompletion(5000);
    Poll.until("the subscription", Duration.ofSeconds(5), () -> ingest.subscriptions() == 1);

    assertEquals(1, ingest.publishLocal("alerts/over-temp", Buffer.buffer("{\"ruleId\":\"over-temp\"}")));
    assertEquals(0, ingest.publishLocal("other/topic", Buffer.buffer("x")));

    Poll.until("the alert at the subscriber", Duration.ofSeconds(10), () -> received.size() == 1);
    assertEquals("alerts/over-temp={\"ruleId\":\"over-temp\"}", received.peek());
    assertTrue(LogContents.all(log).isEmpty(), "local publishes are not ingested");
  }

  @Test
  void tlsListenerAcceptsPublishes(Vertx vertx) throws Exception {
    // GIVEN a TLS listener with a PEM certificate (OpenSSL engine)
    SelfSignedPem pem = SelfSignedPem.create(dir);
    start(vertx, plain().withTls(freePort(), pem.cert(), pem.key()));
    assertTrue(ingest.actualTlsPort() > 0);

    // WHEN a client publishes over TLS
    MqttAsyncClient c = new MqttAsyncClient("ssl://127.0.0.1:" + ingest.actualTlsPort(), "tls-dev",
        new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setSocketFactory(pem.trustingSocketFactory());
    o.setHttpsHostnameVerificationEnabled(false);
    c.connect(o).waitForCompletion(10_000);
    clients.add(c);
    c.publish("secure/t", "{\"id\":\"s1\"}".getBytes(StandardCharsets.UTF_8), 1, false).waitForCompletion(10_000);

    // THEN it is stored
    assertEquals("s1", LogContents.all(log).get(0).explicitId());
  }

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
