package io.edgesync.edge.rules;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.rollout.ManagedConfig;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules rolled out from the cloud ({@link ManagedConfig} over {@link LocalRules#applyManaged}):
 * applied atomically through the hot-reload swap, a broken version rejected with the rule and
 * CEL error while the running rules stay, persisted across a restart, shadow rules, and the way
 * back to the node's own rules file.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ManagedRulesTest {
  private static final String LOCAL = """
      rules:
        - id: over-temp
          when: "payload.value > 80.0"
          action: alert
      """;
  private static final String V1 = """
      rules:
        - id: warm
          when: "payload.value > 50.0"
          action: alert
      """;
  private static final String BROKEN = """
      rules:
        - id: warm
          when: "payload.value > 50.0"
          action: alert
        - id: broken-rule
          when: "payload.value >"
          action: alert
      """;

  @TempDir
  Path dir;

  private RulesHarness edge;

  @AfterEach
  void tearDown() throws Exception {
    if (edge != null) {
      edge.close();
    }
  }

  private List<String> fired(double value) {
    Event e = new Event(0, 0, Priority.NORMAL, "dev-1", "sensors/dev-1/temp", null, 1000, 1000,
        ("{\"value\":" + value + "}").getBytes(StandardCharsets.UTF_8));
    return edge.rules.engine().evaluate(e).alerts().stream().map(a -> a.rule().id()).toList();
  }

  private RulesHarness start(Vertx vertx) throws Exception {
    Files.writeString(dir.resolve("rules.yaml"), LOCAL);
    return new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(dir.resolve("rules.yaml"), null, 20, 3_600_000))
        .managed(dir.resolve("managed")).start();
  }

  private ManagedConfig managed(Vertx vertx) {
    ManagedConfig m = new ManagedConfig(vertx, edge.rules, dir.resolve("managed"), RulesHarness.NODE, edge.registry,
        Clock.systemUTC());
    await(m.load(), 10);
    return m;
  }

  private static JsonObject desired(String id, String active, String shadow) {
    return new JsonObject().put("id", id)
        .put("active", active == null ? new JsonObject().put("source", "local")
            : new JsonObject().put("source", "cloud").put("version", "v").put("rules", active))
        .put("shadow", shadow == null ? null : new JsonObject().put("version", "s").put("rules", shadow));
  }

  @Test
  void aRolledOutVersionIsAppliedABrokenOneIsRejectedAndKeptAcrossARestartUntilRolledBackToTheLocalFile(Vertx vertx)
      throws Exception {
    // GIVEN a node running its own rules file
    edge = start(vertx);
    ManagedConfig config = managed(vertx);
    assertEquals("local", config.report().getString("active"));
    assertNull(config.report().getValue("result"));
    assertTrue(config.wants("lab/1/x+-"));

    // WHEN the cloud's V1 is applied
    await(config.apply(desired("lab/1/x+-", V1, null)), 30);

    // THEN it runs V1 from the managed folder and reports it; the same id is not wanted again
    assertEquals(List.of("warm"), fired(60));
    JsonObject applied = config.report();
    assertEquals("applied", applied.getString("result"));
    assertEquals("lab/1/x+-", applied.getString("id"));
    String v1 = edge.rules.engine().activeSet().version();
    assertEquals(v1, applied.getString("active"));
    assertEquals(V1, Files.readString(dir.resolve("managed/rules.yaml")));
    assertEquals("cloud", edge.rules.status().getString("source"));
    assertFalse(config.wants("lab/1/x+-"));

    // WHEN a version with a CEL error is applied
    await(config.apply(desired("lab/2/y+-", BROKEN, null)), 30);

    // THEN it is rejected with the rule and the error, and V1 keeps running, file included
    JsonObject failed = config.report();
    assertEquals("failed", failed.getString("result"));
    assertTrue(failed.getString("error").contains("broken-rule"), failed.getString("error"));
    assertEquals(v1, failed.getString("active"));
    assertEquals(List.of("warm"), fired(60));
    assertEquals(V1, Files.readString(dir.resolve("managed/rules.yaml")));

    // WHEN the node restarts on the same data
    edge.stop();
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(dir.resolve("rules.yaml"), null, 20, 3_600_000))
        .managed(dir.resolve("managed")).start();
    config = managed(vertx);

    // THEN it runs V1 again and still reports the failed version (not retried)
    assertEquals(v1, edge.rules.engine().activeSet().version());
    assertEquals("failed", config.report().getString("result"));
    assertEquals("lab/2/y+-", config.report().getString("id"));
    assertFalse(config.wants("lab/2/y+-"));

    // WHEN V1 is kept active and V1-plus-a-rule runs in shadow
    String shadow = V1 + "  - id: cold\n    when: \"payload.value < 0.0\"\n    action: alert\n";
    await(config.apply(desired("lab/3/a+b", V1, shadow)), 30);
    assertEquals("applied", config.report().getString("result"));
    assertEquals(v1, config.report().getString("active"));
    assertEquals(edge.rules.engine().shadowSet().version(), config.report().getString("shadow"));
    fired(-5);
    assertEquals(1L, edge.rules.engine().shadowFires().get("cold"));
    assertEquals(List.of(), fired(-5), "shadow rules never act");

    // WHEN rolled back to the node's own file
    await(config.apply(desired("lab/4/local+-", null, null)), 30);

    // THEN the local rules run, the managed files are gone, and the report says local
    assertEquals(List.of("over-temp"), fired(90));
    assertEquals("local", config.report().getString("active"));
    assertNull(config.report().getValue("shadow"));
    assertFalse(Files.exists(dir.resolve("managed/rules.yaml")));
    assertEquals("file", edge.rules.status().getString("source"));
    assertEquals(2.0, edge.registry.get("edge.config.applies").tag("result", "applied").counter().count());
  }
}
