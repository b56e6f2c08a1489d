package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4 acceptance 5, on real processes: an edge keeping the last 1,000 released events
 * per class ({@code log.retainReleased}) re-forwards a committed range on
 * {@code POST /admin/replay}; the cloud acknowledges it against its watermark, so Kafka
 * holds no duplicate; a range no longer retained is 404, one not yet committed 409.
 */
@Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
class ReplayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path dir;
  private static Stack stack;

  @AfterAll
  static void stopAll() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aReplayedRangeIsAcknowledgedAsDuplicatesAndKafkaHoldsEachEventOnce() throws Exception {
    // GIVEN an edge retaining 1,000 released events per class, and 2,000 normal events delivered
    stack = new Stack(dir);
    stack.startCloud();
    Stack.Edge edge = stack.startEdge(stack.enrol("edge-replay"), "log.retainReleased=1000");
    MqttLoad.publish(edge.mqttPort(), "rp", 2, 1_000, 100);
    List<KafkaVerifier.Rec> before = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        r -> r.source() != null && r.source().startsWith("rp-"), 2_000, Duration.ofMinutes(2));
    assertEquals(2_000, before.size());

    // WHEN the last 1,000 (still retained) are replayed, once the cloud's ack reached the edge
    HttpResponse<String> replay = post(edge.httpPort(), "/admin/replay?class=normal&from=1001&to=2000");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (replay.statusCode() == 409 && System.nanoTime() < deadline) {
      ChildProcess.pause(200);
      replay = post(edge.httpPort(), "/admin/replay?class=normal&from=1001&to=2000");
    }
    System.out.println("replay: " + replay.statusCode() + " " + replay.body());
    assertEquals(200, replay.statusCode(), replay.body());
    JsonNode r = JSON.readTree(replay.body());
    assertEquals("normal", r.path("class").asText());
    assertEquals(1001, r.path("from").asLong());
    assertEquals(2000, r.path("to").asLong());
    assertEquals(1000, r.path("replayed").asLong());
    assertEquals(0, r.path("written").asLong(), "the cloud wrote nothing again");
    assertEquals(1000, r.path("duplicates").asLong());

    // THEN Kafka still holds each event exactly once
    List<KafkaVerifier.Rec> after = KafkaVerifier.await(stack.bootstrap(), "edge.events",
        x -> x.source() != null && x.source().startsWith("rp-"), 2_000, Duration.ofMinutes(1));
    assertEquals(2_000, after.size(), "records after the replay");
    assertEquals(0, KafkaVerifier.duplicateIds(after).size(), "duplicate event-ids");

    // AND a range no longer retained is 404, one above the committed watermark 409, a GET 405
    assertEquals(404, post(edge.httpPort(), "/admin/replay?class=normal&from=1&to=10").statusCode());
    assertEquals(409, post(edge.httpPort(), "/admin/replay?class=normal&from=1990&to=2001").statusCode());
    assertEquals(400, post(edge.httpPort(), "/admin/replay?class=normal&from=5&to=1").statusCode());
    assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.httpPort()
        + "/admin/replay?class=normal&from=1&to=2")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  private static HttpResponse<String> post(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
