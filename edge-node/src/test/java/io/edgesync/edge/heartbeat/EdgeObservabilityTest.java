package io.edgesync.edge.heartbeat;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.Settings;
import io.edgesync.edge.app.EdgeNode;
import io.edgesync.edge.config.EdgeConfig;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.edge.testsupport.SelfSignedPem;
import io.edgesync.testsupport.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real edge node (RocksDB, MQTT, forwarder, heartbeat) whose cloud is unreachable: /metrics is
 * Prometheus text with every documented edge metric and counts equal to what was published, the
 * heartbeat fails quietly and is counted, the technician page renders /status.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EdgeObservabilityTest {
  private static final int MESSAGES = 25;

  @TempDir
  Path dir;
  private Vertx vertx;
  private EdgeNode node;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    if (node != null) {
      await(node.stop(), 30);
    }
    if (vertx != null) {
      await(vertx.close(), 20);
    }
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path);
    return r.body();
  }

  @Test
  void metricsCountWhatWasPublishedAndTheHeartbeatFailsQuietlyWhileTheCloudIsAway() throws Exception {
    // GIVEN a node whose only cloud endpoint refuses connections, heartbeat every 200 ms
    SelfSignedPem tls = SelfSignedPem.create(dir);
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setJvmMetricsEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    Map<String, Object> settings = new java.util.HashMap<>();
    settings.put("node.id", "obs-1");
    settings.put("data.dir", dir.resolve("data").toString());
    settings.put("mqtt.host", "127.0.0.1");
    settings.put("mqtt.port", "0");
    settings.put("mqtt.tlsPort", "0");
    settings.put("mqtt.eventLoops", "1");
    settings.put("http.host", "127.0.0.1");
    settings.put("http.port", "0");
    settings.put("cloud.endpoints", "127.0.0.1:" + deadPort);
    settings.put("tls.cert", tls.cert().toString());
    settings.put("tls.key", tls.key().toString());
    settings.put("tls.ca", tls.cert().toString());
    settings.put("heartbeat.intervalMs", "200");
    EdgeConfig config = EdgeConfig.from(Settings.of(settings));
    node = new EdgeNode(vertx, config, registry, "obs-test", Clock.systemUTC());
    await(node.start(), 30);

    // WHEN a device publishes 25 QoS1 messages
    MqttClient device = new MqttClient("tcp://127.0.0.1:" + node.mqttPort(), "dev-obs", new MemoryPersistence());
    org.eclipse.paho.client.mqttv3.MqttConnectOptions options = new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
    options.setMaxInflight(100); // a slow PUBACK on a loaded machine must not trip Paho's "too many publishes"
    device.connect(options);
    for (int i = 0; i < MESSAGES; i++) {
      device.publish("sensors/dev-obs/temp", ("{\"id\":\"m-" + i + "\",\"value\":" + i + "}")
          .getBytes(StandardCharsets.UTF_8), 1, false);
    }

    // THEN /metrics parses, carries every documented edge metric, and counts exactly
    Poll.until("two heartbeats failed", Duration.ofSeconds(30),
        () -> registry.find("edge.heartbeats").tag("result", "failed").counter().count() >= 2);
    String scrape = get("/metrics");
    List<PrometheusText.Sample> samples = PrometheusText.parse(scrape);
    List<String> documented = PrometheusText.documented(Path.of("..", "docs", "METRICS.md"), "edge-node");
    assertTrue(documented.size() >= 30, "docs/METRICS.md lists the edge metrics: " + documented);
    List<String> missing = new ArrayList<>();
    for (String name : documented) {
      if (!PrometheusText.has(samples, name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "documented but not exported");
    assertEquals(MESSAGES, PrometheusText.sum(samples, "edge_events_in_total", Map.of()));
    assertEquals(MESSAGES, PrometheusText.sum(samples, "edge_events_in_total", Map.of("class", "normal")));
    assertEquals(MESSAGES, PrometheusText.sum(samples, "edge_log_appends_total", Map.of()));
    assertEquals(MESSAGES, PrometheusText.sum(samples, "edge_log_backlog_events", Map.of()));
    assertEquals(0, PrometheusText.sum(samples, "edge_forward_events_total", Map.of()));
    assertEquals(0, PrometheusText.sum(samples, "edge_heartbeats_total", Map.of("result", "ok")));
    assertEquals(0, PrometheusText.sum(samples, "edge_forward_link_up", Map.of()));
    assertEquals(1, PrometheusText.sum(samples, "edge_mqtt_connections", Map.of()));
    assertTrue(PrometheusText.sum(samples, "jvm_memory_used_bytes", Map.of("area", "heap")) > 0);
    // the oldest event's age is refreshed by the heartbeat (read from the log)
    Poll.until("the oldest normal event has an age", Duration.ofSeconds(30),
        () -> registry.find("edge.log.oldest.event.age").tag("class", "normal").gauge().value() > 0);

    // AND the technician page shows the node, its link and its backlog
    String page = get("/");
    assertTrue(page.contains("<span id=\"node-id\">obs-1</span>"), page);
    assertTrue(page.contains("http-equiv=\"refresh\""));
    assertTrue(page.contains("<tr data-class=\"normal\"><td>normal</td><td>" + MESSAGES + "</td>"), page);
    assertTrue(page.matches("(?s).*<td id=\"link\" class=\"(down|backoff)\">.*"), page);
    device.disconnect();
    device.close();
  }
}
