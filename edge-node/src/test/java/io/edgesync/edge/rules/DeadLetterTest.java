package io.edgesync.edge.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadLetterTest {
  private static final String SCHEMA = """
      schemas:
        - match: "sensors/+/temp"
          json: true
          required: {value: number}
          ranges: {value: [-50, %s]}
          maxPayloadBytes: 200
      """;

  @TempDir
  Path dir;

  private RulesHarness edge;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void tearDown() throws Exception {
    if (edge != null) {
      edge.close();
    }
  }

  private HttpResponse<String> call(String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.status.actualPort() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String text(Event e) {
    return new String(e.payload(), StandardCharsets.UTF_8);
  }

  @Test
  void invalidAndNonJsonPayloadsBecomeDeadLettersAndRedriveMovesThemBackAfterAFix(Vertx vertx) throws Exception {
    // GIVEN a JSON schema on sensors/+/temp
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, SCHEMA.formatted("150"));
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(file, null, 20, 3_600_000)).start();
    MqttAsyncClient dev = edge.client("dev-1");

    // WHEN one connection publishes valid and invalid readings interleaved (QoS1)
    List<String> bodies = List.of("{\"value\":20}", "{\"value\":900}", "{\"value\":21}", "not json at all",
        "{\"temp\":1}", "{\"value\":\"hot\"}", "{\"value\":22}", "{\"value\":1, \"pad\":\"" + "x".repeat(200) + "\"}",
        "{\"value\":23}");
    List<IMqttDeliveryToken> tokens = new ArrayList<>();
    for (String b : bodies) {
      tokens.add(dev.publish("sensors/dev-1/temp", b.getBytes(StandardCharsets.UTF_8), 1, false));
    }
    tokens.add(dev.publish("other/dev-1", "free text".getBytes(StandardCharsets.UTF_8), 1, false));
    // THEN every publish is acknowledged (dead letters once durable)
    for (IMqttDeliveryToken t : tokens) {
      t.waitForCompletion(10_000);
    }
    List<Event> all = LogContents.all(edge.log);
    List<Event> events = all.stream().filter(e -> e.kind() == EventKind.EVENT).toList();
    List<Event> dead = all.stream().filter(e -> e.kind() == EventKind.DEAD_LETTER).toList();
    // AND the valid events are stored unchanged, exactly
    assertEquals(List.of("{\"value\":20}", "{\"value\":21}", "{\"value\":22}", "{\"value\":23}", "free text"),
        events.stream().map(DeadLetterTest::text).toList());
    events.forEach(e -> assertNull(e.reason()));
    // AND each invalid one is a DEAD_LETTER envelope with its reason
    assertEquals(List.of(
        "schema sensors/+/temp: value must be <= 150 (got 900)",
        "schema sensors/+/temp: payload is not a JSON object",
        "schema sensors/+/temp: missing required field value",
        "schema sensors/+/temp: value must be a number (got string)",
        "schema sensors/+/temp: payload of " + bodies.get(7).length() + " bytes is above maxPayloadBytes 200"), dead.stream().map(Event::reason)
        .toList());
    assertEquals(List.of(bodies.get(1), bodies.get(3), bodies.get(4), bodies.get(5), bodies.get(7)),
        dead.stream().map(DeadLetterTest::text).toList());
    for (String kind : List.of("out_of_range", "not_json", "missing_field", "wrong_type", "too_large")) {
      assertEquals(1.0, edge.registry.get("edge.deadletters").tag("reason_kind", kind).counter().count(), kind);
    }

    // AND the admin endpoint lists the 5 from the dlq store, with their seqs
    HttpResponse<String> list = call("GET", "/admin/deadletters?limit=100");
    assertEquals(200, list.statusCode());
    JsonArray letters = new JsonArray(list.body());
    assertEquals(5, letters.size());
    assertEquals(dead.stream().map(Event::seq).toList(), letters.stream().map(o -> ((JsonObject) o).getLong("seq"))
        .toList());
    assertEquals("not json at all", letters.getJsonObject(1).getString("payload"));
    assertEquals("schema sensors/+/temp: value must be <= 150 (got 900)", letters.getJsonObject(0).getString("reason"));

    // WHEN the range is widened and the dead letters are re-driven
    Files.writeString(file, SCHEMA.formatted("1000"));
    Poll.until("the schema reload", Duration.ofSeconds(10), () -> edge.registry.get("edge.rules.reloads")
        .tag("result", "ok").tag("set", "active").counter().count() == 1.0);
    HttpResponse<String> redrive = call("POST", "/admin/deadletters/redrive");
    // THEN the now-valid one is appended as a normal event and leaves the dlq; the others stay
    assertEquals(200, redrive.statusCode(), redrive.body());
    JsonObject counts = new JsonObject(redrive.body());
    assertEquals(new JsonObject().put("checked", 5).put("redriven", 1).put("stillInvalid", 4).put("failed", 0),
        counts);
    List<Event> after = LogContents.all(edge.log).stream().filter(e -> e.kind() == EventKind.EVENT).toList();
    assertEquals(6, after.size());
    assertEquals("{\"value\":900}", text(after.get(after.size() - 1)));
    assertEquals(4, new JsonArray(call("GET", "/admin/deadletters").body()).size());
    assertEquals(405, call("GET", "/admin/deadletters/redrive").statusCode());
  }
}
