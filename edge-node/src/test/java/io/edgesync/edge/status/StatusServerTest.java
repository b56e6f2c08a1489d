package io.edgesync.edge.status;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StatusServerTest {

  @Test
  void healthFollowsTheLogAndUnknownPathsAre404(Vertx vertx) throws Exception {
    // GIVEN a status server whose node is healthy
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.counter("edge.test.counter").increment(2);
    AtomicBoolean healthy = new AtomicBoolean(true);
    StatusServer server = new StatusServer(vertx, "127.0.0.1", 0, registry, healthy::get,
        () -> new JsonObject().put("nodeId", "n1"));
    await(server.start(), 10);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    String base = "http://127.0.0.1:" + server.actualPort();

    // THEN /health is 200 UP, then 503 DOWN once the log is gone
    HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, up.statusCode());
    assertEquals("UP", new JsonObject(up.body()).getString("status"));
    healthy.set(false);
    HttpResponse<String> down = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(503, down.statusCode());
    assertEquals("DOWN", new JsonObject(down.body()).getString("status"));

    // AND /metrics is Prometheus text, /status the supplied JSON, others 404 / 405
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(metrics.body().contains("edge_test_counter_total 2.0"), metrics.body());
    HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("n1", new JsonObject(status.body()).getString("nodeId"));
    assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    await(server.stop(), 10);
    await(server.stop(), 10);
  }
}
