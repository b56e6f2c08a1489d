package io.edgesync.edge.app;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.Settings;
import io.edgesync.edge.config.EdgeConfig;
import io.edgesync.edge.testsupport.SelfSignedPem;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeNodeTest {
  @TempDir
  Path dir;

  private Vertx vertx;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void closeVertx() {
    if (vertx != null) {
      await(vertx.close(), 20);
    }
  }

  private EdgeNode node(PrometheusMeterRegistry registry) {
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    EdgeConfig config = EdgeConfig.from(Settings.of(Map.of(
        "node.id", "edge-t1",
        "data.dir", dir.resolve("data").toString(),
        "mqtt.host", "127.0.0.1",
        "mqtt.port", "0",
        "mqtt.eventLoops", "2",
        "http.host", "127.0.0.1",
        "http.port", "0")));
    return new EdgeNode(vertx, config, registry, "test-1", Clock.systemUTC());
  }

  private HttpResponse<String> get(EdgeNode node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aStartedNodeAnswersHealthStatusAndMetrics() throws Exception {
    // GIVEN a started node without cloud endpoints
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    EdgeNode node = node(registry);
    await(node.start(), 30);
    assertTrue(node.readyLine().matches("edge-node ready: node=edge-t1 mqtt=\\d+ mqtts=off http=\\d+ data=.+ "
        + "endpoints=none"), node.readyLine());
    assertTrue(node.readyLine().contains(" mqtt=" + node.mqttPort() + " "));
    assertTrue(node.readyLine().contains(" http=" + node.httpPort() + " "));

    // WHEN a device publishes three QoS1 messages
    MqttClient device = new MqttClient("tcp://127.0.0.1:" + node.mqttPort(), "dev-1", new MemoryPersistence());
    device.connect();
    for (int i = 0; i < 3; i++) {
      device.publish("sensors/dev-1/temp", ("{\"id\":\"m-" + i + "\"}").getBytes(StandardCharsets.UTF_8), 1, false);
    }

    // THEN /health is UP
    HttpResponse<String> health = get(node, "/health");
    assertEquals(200, health.statusCode());
    assertEquals(new JsonObject().put("status", "UP"), new JsonObject(health.body()));

    // AND /status describes the node, the listener, the log and the (disabled) forwarder
    JsonObject status = new JsonObject(get(node, "/status").body());
    assertEquals("edge-t1", status.getString("nodeId"));
    assertEquals("test-1", status.getString("version"));
    assertEquals(node.mqttPort(), status.getJsonObject("mqtt").getInteger("port"));
    assertEquals(1, status.getJsonObject("mqtt").getInteger("connections"));
    JsonObject log = status.getJsonObject("log");
    assertEquals(4, log.getLong("nextSeq"));
    JsonObject normal = log.getJsonObject("classes").getJsonObject("normal");
    assertEquals(3, normal.getLong("lastClassSeq"));
    assertEquals(0, normal.getLong("releasedClassSeq"));
    assertEquals(3, normal.getLong("backlog"));
    assertEquals("disabled", status.getJsonObject("forwarder").getString("state"));
    assertEquals(3, status.getJsonObject("counters").getLong("edge.events.in{class=normal}"));
    assertTrue(status.getLong("uptimeSeconds") >= 0);

    // AND /metrics carries the edge metrics and Vert.x' own
    String metrics = get(node, "/metrics").body();
    for (String expected : new String[] {
        "edge_log_appends_total 3.0", "edge_events_in_total{class=\"normal\"} 3.0",
        "edge_log_backlog_events{class=\"normal\"} 3.0", "edge_mqtt_connections 1.0", "edge_puback_seconds_count 3",
        "edge_puback_seconds_bucket{le=\"+Inf\"} 3", "edge_log_group_size_count", "edge_log_commit_seconds_count",
        "edge_log_commit_seconds_bucket{le=\"+Inf\"}", "edge_log_queue_depth", "edge_log_queue_full_total",
        "vertx_net_server_active_connections", "vertx_http_server_"}) {
      assertTrue(metrics.contains(expected), "missing " + expected);
    }
    device.disconnect();
    device.close();

    // WHEN it stops (twice)
    await(node.stop(), 30);
    await(node.stop(), 30);

    // THEN the listeners are gone and the log is closed
    assertFalse(node.log().isOpen());
    assertThrows(IOException.class, () -> get(node, "/health"));
  }

  @Test
  void aNodeWithCloudEndpointsRunsItsForwarderAndReportsIt() throws Exception {
    // GIVEN cloud endpoints where nothing listens (the cloud is away)
    SelfSignedPem pem = SelfSignedPem.create(dir);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    int nobody;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      nobody = s.getLocalPort();
    }
    EdgeConfig config = EdgeConfig.from(Settings.of(Map.ofEntries(
        Map.entry("node.id", "edge-t3"), Map.entry("data.dir", dir.resolve("data").toString()),
        Map.entry("mqtt.host", "127.0.0.1"), Map.entry("mqtt.port", "0"), Map.entry("mqtt.tlsPort", "0"),
        Map.entry("http.host", "127.0.0.1"), Map.entry("http.port", "0"),
        Map.entry("cloud.endpoints", "127.0.0.1:" + nobody),
        Map.entry("tls.cert", pem.cert().toString()), Map.entry("tls.key", pem.key().toString()),
        Map.entry("tls.ca", pem.cert().toString()))));
    EdgeNode node = new EdgeNode(vertx, config, registry, "test-1", Clock.systemUTC());

    // WHEN it starts
    await(node.start(), 30);

    // THEN it runs, keeps ingesting, and /status carries the forwarder's own status
    assertTrue(node.readyLine().endsWith("endpoints=127.0.0.1:" + nobody), node.readyLine());
    MqttClient device = new MqttClient("tcp://127.0.0.1:" + node.mqttPort(), "dev-3", new MemoryPersistence());
    device.connect();
    device.publish("sensors/x", "{}".getBytes(StandardCharsets.UTF_8), 1, false);
    device.disconnect();
    device.close();
    JsonObject status = new JsonObject(get(node, "/status").body());
    JsonObject forwarder = status.getJsonObject("forwarder");
    assertFalse(forwarder.isEmpty());
    assertFalse("disabled".equals(forwarder.getString("state")), forwarder.encode());
    assertEquals(1, status.getJsonObject("log").getJsonObject("classes").getJsonObject("normal")
        .getLong("backlog"));
    await(node.stop(), 30);
    assertFalse(node.log().isOpen());
  }

  @Test
  void aStartFailureStopsWhatStartedAndNamesTheKey() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    EdgeNode first = node(registry);
    await(first.start(), 30);
    // a second node on the same data.dir cannot take the RocksDB lock
    EdgeConfig same = EdgeConfig.from(Settings.of(Map.of("node.id", "edge-t2", "data.dir",
        dir.resolve("data").toString(), "mqtt.port", "0", "http.port", "0")));
    EdgeNode second = new EdgeNode(vertx, same, registry, "test-1", Clock.systemUTC());
    Throwable failure = second.start().toCompletionStage().handle((v, t) -> t).toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    assertTrue(failure instanceof StartupException, String.valueOf(failure));
    assertTrue(failure.getMessage().startsWith("data.dir " + dir.resolve("data")), failure.getMessage());
    await(second.stop(), 10);
    await(first.stop(), 30);
  }
}
