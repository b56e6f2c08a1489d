package io.edgesync.edge.mqtt;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.status.NodeStatus;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.RawMqtt;
import io.edgesync.model.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Deduplication seen from MQTT devices: application retries (same id) and DUP redeliveries across an edge restart. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttDedupTest {
  private static final LogSettings LOG_SETTINGS = new LogSettings(65_536, 64L * 1024 * 1024, 4096);

  @TempDir
  Path dir;

  private SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final List<MqttAsyncClient> clients = new ArrayList<>();
  private EventLog log;
  private MqttIngest ingest;

  private void start(Vertx vertx) {
    log = EventLog.open(dir.resolve("db"), LOG_SETTINGS, vertx, registry);
    ingest = new MqttIngest(vertx, IngestSettings.plain("127.0.0.1", 0, 262_144).withEventLoops(2), log, registry);
    await(ingest.start(), 20);
  }

  /** Stops the MQTT listener and closes the log, as an edge restart does. */
  private void stop() {
    await(ingest.stop(), 20);
    log.close();
    ingest = null;
    log = null;
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
      stop();
    }
  }

  private MqttAsyncClient paho(String clientId) throws Exception {
    MqttAsyncClient c = new MqttAsyncClient("tcp://127.0.0.1:" + ingest.actualPort(), clientId,
        new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setMaxInflight(1000);
    o.setAutomaticReconnect(false);
    c.connect(o).waitForCompletion(10_000);
    clients.add(c);
    return c;
  }

  private double counter(String name, String tag, String value) {
    return registry.get(name).tag(tag, value).counter().count();
  }

  private static byte[] withId(String id, int i) {
    return ("{\"id\":\"" + id + "\",\"value\":" + i + "}").getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void messagesRepublishedWithTheSameIdAfterAReconnectAreStoredOnce(Vertx vertx) throws Exception {
    // GIVEN a device that published 300 QoS1 messages with ids and got every PUBACK
    start(vertx);
    MqttAsyncClient first = paho("dev-retry");
    publishAll(first, 0);
    first.disconnect().waitForCompletion(5000);

    // WHEN it reconnects and publishes the same 300 messages again (an application retry: new packets, DUP=0)
    MqttAsyncClient again = paho("dev-retry");
    publishAll(again, 1);

    // THEN every publish was acknowledged and each id is stored once
    List<Event> events = LogContents.all(log);
    assertEquals(300, events.size());
    Set<String> ids = new HashSet<>();
    events.forEach(e -> ids.add(e.explicitId()));
    assertEquals(300, ids.size());
    assertEquals(300.0, counter("edge.dedup.hits", "kind", "id"));
    assertEquals(300.0, registry.get("edge.events.in").tag("class", "normal").counter().count());
    // AND another device using the same ids is another source: stored
    publishAll(paho("dev-other"), 0);
    assertEquals(600, LogContents.all(log).size());
  }

  private static void publishAll(MqttAsyncClient c, int round) throws Exception {
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      // the payload may differ between retries (e.g. a re-sampled value): the id decides
      tokens.add(c.publish("sensors/retry", withId("r-" + i, i * 10 + round), 1, false));
    }
    for (IMqttDeliveryToken t : tokens) {
      t.waitForCompletion(20_000);
    }
  }

  @Test
  void aDupRedeliveryWithoutIdAfterAnEdgeRestartIsStoredOnce(Vertx vertx) throws Exception {
    // GIVEN a device whose QoS1 PUBLISH (packet 42, no id in the payload) was stored and acknowledged
    start(vertx);
    byte[] payload = "21.5".getBytes(StandardCharsets.UTF_8);
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect("dev-crash");
      raw.publishQos1("sensors/raw", 42, payload, false);
      assertEquals(42, raw.readPuback());
    }
    assertEquals(1, LogContents.all(log).size());

    // WHEN the edge restarts on the same data (its packet-id memory is gone) and the device
    // reconnects and redelivers packet 42 with DUP=1, as it does when it missed the PUBACK
    stop();
    registry = new SimpleMeterRegistry();
    start(vertx);
    try (RawMqtt raw = new RawMqtt(ingest.actualPort())) {
      raw.connect("dev-crash");
      raw.publishQos1("sensors/raw", 42, payload, true);
      assertEquals(42, raw.readPuback());

      // THEN it is acknowledged and not stored again, counted as a dup hit
      assertEquals(1, LogContents.all(log).size());
      assertEquals(1.0, counter("edge.dedup.hits", "kind", "dup"));
      assertEquals(0.0, registry.get("edge.events.in").tag("class", "normal").counter().count());

      // AND a DUP=1 of a packet id never seen, or of packet 42 with another payload, is a message of its own
      raw.publishQos1("sensors/raw", 43, payload, true);
      assertEquals(43, raw.readPuback());
      raw.publishQos1("sensors/raw", 42, "22.0".getBytes(StandardCharsets.UTF_8), true);
      assertEquals(42, raw.readPuback());
      assertEquals(3, LogContents.all(log).size());
      // AND a DUP=0 reusing packet 42 with the first payload is a new message too
      raw.publishQos1("sensors/raw", 42, payload, false);
      assertEquals(42, raw.readPuback());
      assertEquals(4, LogContents.all(log).size());
      assertEquals(1.0, counter("edge.dedup.hits", "kind", "dup"));
      // AND /status shows it
      JsonObject status = new NodeStatus("n1", "test", java.time.Clock.systemUTC(), log, ingest,
          JsonObject::new, registry).get().getJsonObject("dedup");
      assertEquals(true, status.getBoolean("enabled"));
      assertEquals(600_000L, status.getLong("windowMs"));
      int buckets = status.getInteger("buckets");
      assertTrue(buckets == 1 || buckets == 2, "1-min buckets: the test may cross a minute, got " + buckets);
      assertEquals(4L, status.getLong("keys"));
      assertEquals(new JsonObject().put("id", 0L).put("dup", 1L), status.getJsonObject("hits"));
    }
  }
}
