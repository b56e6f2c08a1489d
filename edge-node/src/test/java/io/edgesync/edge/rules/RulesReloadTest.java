package io.edgesync.edge.rules;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.edge.app.EdgeMain;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RulesReloadTest {
  private static final String GOOD = """
      rules:
        - id: over-temp
          when: "payload.value > 80.0"
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

  private static Event reading(double value) {
    return new Event(0, 0, Priority.NORMAL, "dev-1", "sensors/dev-1/temp", null, 1000, 1000,
        ("{\"value\":" + value + "}").getBytes(StandardCharsets.UTF_8));
  }

  private List<String> fired(double value) {
    return edge.rules.engine().evaluate(reading(value)).alerts().stream().map(a -> a.rule().id()).toList();
  }

  private double reloads(String result) {
    return edge.registry.get("edge.rules.reloads").tag("result", result).tag("set", "active").counter().count();
  }

  @Test
  void invalidRulesAreRejectedWithRuleAndCelErrorAndThePreviousRulesKeepFiring(Vertx vertx) throws Exception {
    // GIVEN a running rule set
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, GOOD);
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(file, null, 20, 3_600_000)).start();
    String version = edge.rules.engine().activeSet().version();
    assertEquals(List.of("over-temp"), fired(90));

    // WHEN a version with a CEL syntax error in a second rule is written
    Files.writeString(file, GOOD + """
          - id: broken-rule
            when: "payload.value >"
            action: alert
        """);
    Poll.until("the reload rejected", Duration.ofSeconds(10), () -> reloads("rejected") == 1.0);

    // THEN it is rejected with a message naming the rule, the line and the CEL error; old rules stay
    JsonObject status = edge.rules.status();
    String error = status.getString("lastError");
    assertTrue(error.startsWith("rules.yaml:5: rule broken-rule: CEL error at column 16: "), error);
    assertTrue(error.contains("mismatched input '<EOF>'"), error);
    assertEquals(version, status.getString("version"));
    assertEquals(List.of("over-temp"), fired(90));
    assertEquals(List.of(), fired(50));

    // WHEN a type error is written (a number where a bool is needed)
    Files.writeString(file, """
        rules:
          - id: not-bool
            when: "payload.value + 1"
            action: alert
        """);
    Poll.until("the second rejection", Duration.ofSeconds(10), () -> reloads("rejected") == 2.0);
    error = edge.rules.status().getString("lastError");
    assertTrue(error.startsWith("rules.yaml:2: rule not-bool: CEL error"), error);
    assertEquals(List.of("over-temp"), fired(90));

    // WHEN broken YAML is written
    Files.writeString(file, "rules:\n  - id: x\n    when: \"a\n   action: [alert\n");
    Poll.until("the third rejection", Duration.ofSeconds(10), () -> reloads("rejected") == 3.0);
    error = edge.rules.status().getString("lastError");
    assertTrue(error.matches("rules\\.yaml:\\d+: not valid YAML: .*"), error);
    assertEquals(List.of("over-temp"), fired(90));

    // WHEN a valid new version is written THEN it replaces the old one and the error clears
    Files.writeString(file, """
        rules:
          - id: over-temp-strict
            when: "payload.value > 95.0"
            action: alert
        """);
    Poll.until("the reload accepted", Duration.ofSeconds(10), () -> reloads("ok") == 1.0);
    assertNull(edge.rules.status().getString("lastError"));
    assertEquals(List.of(), fired(90));
    assertEquals(List.of("over-temp-strict"), fired(99));
    assertEquals(1, edge.rules.status().getInteger("count"));
  }

  @Test
  void shadowRulesAreCountedNotExecuted(Vertx vertx) throws Exception {
    // GIVEN an active drop rule and a shadow set that would drop more
    Path file = dir.resolve("rules.yaml");
    Path shadow = dir.resolve("shadow.yaml");
    Files.writeString(file, "rules:\n  - id: drop-low\n    when: \"payload.value < 10.0\"\n    action: drop\n");
    Files.writeString(shadow, "rules:\n  - id: drop-low\n    when: \"payload.value < 50.0\"\n    action: drop\n");
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(file, shadow, 3_600_000, 3_600_000)).start();
    // WHEN 5, 20, 40, 90 arrive
    int stored = 0;
    for (double v : new double[] {5, 20, 40, 90}) {
      if (edge.rules.engine().evaluate(reading(v)).verdict() == RuleEngine.Verdict.STORE) {
        stored++;
      }
    }
    // THEN only the active rule acted; /status shows fires per rule for both
    assertEquals(3, stored);
    JsonObject status = edge.rules.status();
    assertEquals(1L, status.getJsonObject("fires").getLong("drop-low"));
    assertEquals(3L, status.getJsonObject("shadow").getJsonObject("fires").getLong("drop-low"));
    assertEquals(3.0, edge.registry.get("edge.rule.shadow.hits").tag("rule", "drop-low").counter().count());
  }

  @Test
  void anInvalidRulesFileAtStartIsAOneLineConfigErrorWithExitTwo() throws Exception {
    // GIVEN an edge.yaml naming a rules file whose rule has an undeclared variable
    Files.writeString(dir.resolve("rules.yaml"), "rules:\n  - id: typo\n    when: \"paylod.value > 1.0\"\n"
        + "    action: alert\n");
    Files.writeString(dir.resolve("edge.yaml"), "node: {id: n1}\ndata: {dir: data}\nmqtt: {host: 127.0.0.1, port: 0}\n"
        + "http: {port: 0}\nrules: {file: rules.yaml}\n");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    // WHEN the node is launched
    EdgeMain.Launched l = EdgeMain.launch(new String[] {"--config", dir.resolve("edge.yaml").toString()},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false);
    // THEN it exits 2 with one line naming the key, the rule and the CEL error
    assertEquals(2, l.exitCode());
    List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).startsWith("edge.yaml: rules.file is invalid: rules.yaml:2: rule typo: CEL error at column 1: "
        + "undeclared reference to 'paylod'"), lines.get(0));
  }

  @Test
  void ruleEvaluationErrorsAreCountedAndDoNotFire(Vertx vertx) throws Exception {
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, GOOD);
    edge = new RulesHarness(vertx, dir.resolve("db"), new RulesConfig(file, null, 3_600_000, 3_600_000)).start();
    Event noValue = new Event(0, 0, Priority.NORMAL, "dev-1", "t", null, 1, 1, "{\"x\":1}".getBytes(StandardCharsets.UTF_8));
    Event notJson = new Event(0, 0, Priority.NORMAL, "dev-1", "t", null, 1, 1, "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals(RuleEngine.Verdict.STORE, edge.rules.engine().evaluate(noValue).verdict());
    assertEquals(RuleEngine.Verdict.STORE, edge.rules.engine().evaluate(notJson).verdict());
    assertEquals(2.0, edge.registry.get("edge.rule.errors").tag("rule", "over-temp").counter().count());
    await(edge.rules.poll(), 10);
  }
}
