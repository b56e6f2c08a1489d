package io.edgesync.edge.mqtt;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.RawMqtt;
import io.edgesync.model.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Bad input closes only the offending connection, with one log line and one count. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MqttRejectionTest {
  private static final int MAX_PAYLOAD = 1024;
  private static final int GOOD_MESSAGES = 300;

  @TempDir
  Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private PrintStream originalErr;
  private EventLog log;
  private MqttIngest ingest;
  private MqttAsyncClient good;

  @BeforeEach
  void captureStderr() {
    originalErr = System.err;
    OutputStream tee = new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (captured) {
          captured.write(b);
        }
        originalErr.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (captured) {
          captured.write(b, off, len);
        }
        originalErr.write(b, off, len);
      }
    };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void tearDown() throws Exception {
    System.setErr(originalErr);
    if (good != null) {
      if (good.isConnected()) {
        good.disconnect(0).waitForCompletion(5000);
      }
      good.close();
    }
    if (ingest != null) {
      await(ingest.stop(), 20);
    }
    if (log != null) {
      log.close();
    }
  }

  private void start(Vertx vertx) throws Exception {
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    ingest = new MqttIngest(vertx, IngestSettings.plain("127.0.0.1", 0, MAX_PAYLOAD).withEventLoops(2), log,
        registry);
    await(ingest.start(), 20);
    good = new MqttAsyncClient("tcp://127.0.0.1:" + ingest.actualPort(), "good", new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setMaxInflight(100);
    good.connect(o).waitForCompletion(10_000);
  }

  /** The well-behaved client publishes one QoS1 message at a time, on its own thread. */
  private CompletableFuture<Void> goodClientPublishes() {
    return CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < GOOD_MESSAGES; i++) {
          good.publish("sensors/good", ("{\"id\":\"g-" + i + "\"}").getBytes(StandardCharsets.UTF_8), 1, false)
              .waitForCompletion(10_000);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private String stderr() {
    synchronized (captured) {
      return captured.toString(StandardCharsets.UTF_8);
    }
  }

  private double rejected(String reason) {
    var c = registry.find("edge.mqtt.rejected").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private void assertOnlyTheGoodClientsEventsAreStored() {
    List<Event> events = LogContents.all(log);
    assertEquals(GOOD_MESSAGES, events.size());
    assertTrue(events.stream().allMatch(e -> e.source().equals("good")));
    assertTrue(good.isConnected(), "the well-behaved client stayed connected");
  }

  @Test
  void malformedPacketClosesOnlyThatConnection(Vertx vertx) throws Exception {
    // GIVEN a well-behaved client publishing
    start(vertx);
    CompletableFuture<Void> publishing = goodClientPublishes();

    // WHEN another client sends garbage after its CONNECT
    try (RawMqtt bad = new RawMqtt(ingest.actualPort())) {
      bad.connect("bad-garbage");
      bad.sendRaw(new byte[] {0x00, 0x05, 1, 2, 3, 4, 5});

      // THEN that connection is closed, counted and logged once
      assertTrue(bad.closedByServer(), "the server closes the connection");
    }
    Poll.until("the malformed count", Duration.ofSeconds(10), () -> rejected("malformed") == 1.0);
    Poll.until("the log line", Duration.ofSeconds(5), () -> stderr().contains("[client: bad-garbage]"));
    assertEquals(1, countLines(stderr(), "[client: bad-garbage]"));
    assertTrue(stderr().contains("closing the MQTT connection: malformed"), stderr());

    // AND the other client's messages are all stored
    publishing.get(30, TimeUnit.SECONDS);
    assertOnlyTheGoodClientsEventsAreStored();
  }

  @Test
  void oversizedPayloadsCloseOnlyThatConnection(Vertx vertx) throws Exception {
    // GIVEN a well-behaved client publishing
    start(vertx);
    CompletableFuture<Void> publishing = goodClientPublishes();

    // WHEN one client publishes far above the limit (refused by the MQTT decoder) ...
    MqttAsyncClient big = new MqttAsyncClient("tcp://127.0.0.1:" + ingest.actualPort(), "bad-big",
        new MemoryPersistence());
    AtomicReference<Throwable> lost = new AtomicReference<>();
    big.setCallback(new MqttCallback() {
      @Override
      public void connectionLost(Throwable cause) {
        lost.set(cause);
      }

      @Override
      public void messageArrived(String topic, MqttMessage message) {
      }

      @Override
      public void deliveryComplete(IMqttDeliveryToken token) {
      }
    });
    big.connect().waitForCompletion(10_000);
    big.publish("sensors/big", new byte[100 * 1024], 1, false);
    Poll.until("bad-big disconnected", Duration.ofSeconds(10), () -> lost.get() != null);
    big.close(true);

    // ... and another just one byte above it (refused by the ingest)
    try (RawMqtt justOver = new RawMqtt(ingest.actualPort())) {
      justOver.connect("bad-edge");
      justOver.publishQos1("sensors/edge", 1, new byte[MAX_PAYLOAD + 1], false);
      assertTrue(justOver.closedByServer());
    }

    // THEN both are counted and logged once each, naming the client
    Poll.until("two oversized rejections", Duration.ofSeconds(10), () -> rejected("oversized") == 2.0);
    Poll.until("the log lines", Duration.ofSeconds(5),
        () -> stderr().contains("[client: bad-big]") && stderr().contains("[client: bad-edge]"));
    assertEquals(1, countLines(stderr(), "[client: bad-big]"));
    assertEquals(1, countLines(stderr(), "[client: bad-edge]"));
    assertTrue(stderr().contains("mqtt.maxPayloadBytes 1024"), stderr());

    // AND the other client's messages are all stored, none of the oversized ones
    publishing.get(30, TimeUnit.SECONDS);
    assertOnlyTheGoodClientsEventsAreStored();
  }

  private static int countLines(String text, String needle) {
    return (int) text.lines().filter(l -> l.contains(needle)).count();
  }
}
