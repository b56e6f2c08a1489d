package io.edgesync.edge.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WindowRulesTest {
  private static final double EPS = 1e-9;

  @TempDir
  Path dir;

  private static RuleEngine engine(SimpleMeterRegistry registry, String type) {
    RuleEngine engine = new RuleEngine(registry);
    engine.install(RuleCompiler.compile(RulesFile.parse("w.yaml", ("""
        rules:
          - id: watch
            when: "window.count >= 0"
            action: alert
            window: {size: 10s, type: %s, field: value, lateness: 5s}
        """.formatted(type)).getBytes(StandardCharsets.UTF_8)), Instant.now()));
    return engine;
  }

  private static Event reading(String source, long tSeconds, double value) {
    return new Event(0, 0, Priority.NORMAL, source, "sensors/" + source + "/temp", null, tSeconds * 1000,
        tSeconds * 1000, ("{\"value\":" + value + "}").getBytes(StandardCharsets.UTF_8));
  }

  /** The window the rule saw for this event, or null when the event was late (the rule did not run). */
  private static WindowView offer(RuleEngine e, long t, double v) {
    RuleEngine.Decision d = e.evaluate(reading("dev-1", t, v));
    return d.alerts().isEmpty() ? null : d.alerts().get(0).window();
  }

  private static void assertView(WindowView w, long count, double sum, double min, double max, double avg,
      double rate) {
    assertEquals(count, w.count(), "count of " + w);
    assertEquals(sum, w.sum(), EPS, "sum of " + w);
    assertEquals(min, w.min(), EPS, "min of " + w);
    assertEquals(max, w.max(), EPS, "max of " + w);
    assertEquals(avg, w.avg(), EPS, "avg of " + w);
    assertEquals(rate, w.rate(), EPS, "rate of " + w);
  }

  @Test
  void tumblingWindowIsExactWithOutOfOrderAndLateEvents() {
    // GIVEN a 10 s tumbling window with 5 s lateness
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RuleEngine e = engine(registry, "tumbling");
    // WHEN a scripted sequence (event time s, value) arrives; THEN each view is exact
    assertView(offer(e, 1, 10), 1, 10, 10, 10, 10, 0);
    assertView(offer(e, 4, 20), 2, 30, 10, 20, 15, 10.0 / 3);
    assertView(offer(e, 2, 40), 3, 70, 10, 40, 70.0 / 3, 10.0 / 3); // out of order: first/last by event time
    assertView(offer(e, 12, 5), 1, 5, 5, 5, 5, 0);                   // next window [10,20)
    assertNull(offer(e, 6, 100));                                    // 6 < 12 - 5: late, not counted
    assertView(offer(e, 8, 1), 4, 71, 1, 40, 17.75, (1 - 10) / 7.0); // 8 >= 7: still counted in [0,10)
    assertView(offer(e, 19, 7), 2, 12, 5, 7, 6, 2 / 7.0);            // [0,10) evicted, [10,20)
    assertNull(offer(e, 9, 3));                                      // 9 < 14: late
    assertEquals(2.0, registry.get("edge.late.events").tag("rule", "watch").counter().count());
    // another source has its own window
    assertView(e.evaluate(reading("dev-2", 1, 3)).alerts().get(0).window(), 1, 3, 3, 3, 3, 0);
  }

  @Test
  void slidingWindowIsExactWithOutOfOrderAndLateEvents() {
    // GIVEN a 10 s sliding window, (t - 10 s, t], with 5 s lateness
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RuleEngine e = engine(registry, "sliding");
    assertView(offer(e, 1, 10), 1, 10, 10, 10, 10, 0);
    assertView(offer(e, 4, 20), 2, 30, 10, 20, 15, 10.0 / 3);
    assertView(offer(e, 2, 40), 2, 50, 10, 40, 25, 30);               // (-8, 2]: values at 1 and 2
    assertView(offer(e, 12, 5), 2, 25, 5, 20, 12.5, -15.0 / 8);       // (2, 12]: values at 4 and 12
    assertNull(offer(e, 6, 100));                                     // late
    assertView(offer(e, 8, 1), 4, 71, 1, 40, 17.75, -9.0 / 7);        // (-2, 8]: 1, 2, 4, 8
    assertView(offer(e, 19, 7), 2, 12, 5, 7, 6, 2.0 / 7);             // (9, 19]: 12 and 19
    assertNull(offer(e, 9, 3));                                       // late
    assertEquals(2.0, registry.get("edge.late.events").tag("rule", "watch").counter().count());
  }

  @Test
  void windowAndCooldownStateSurviveARestart(Vertx vertx) throws Exception {
    // GIVEN an average rule with a 1 h cooldown and a rule exposing the window, on a real log
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, """
        rules:
          - id: avg-high
            when: "window.avg > 50.0"
            action: alert
            cooldown: 1h
            window: {size: 1m, type: sliding, field: value}
          - id: watch
            when: "window.count > 0"
            action: alert
            window: {size: 1m, type: sliding, field: value}
        """);
    RulesConfig config = new RulesConfig(file, null, 3_600_000, 3_600_000);
    RulesHarness edge = new RulesHarness(vertx, dir.resolve("db"), config).start();
    try {
      RuleEngine e = edge.rules.engine();
      // WHEN two readings fire avg-high once (the second is suppressed by the cooldown)
      List<RuleEngine.Alert> first = e.evaluate(reading("dev-1", 1, 60)).alerts();
      assertEquals(List.of("avg-high", "watch"), first.stream().map(a -> a.rule().id()).toList());
      List<RuleEngine.Alert> second = e.evaluate(reading("dev-1", 2, 70)).alerts();
      assertEquals(List.of("watch"), second.stream().map(a -> a.rule().id()).toList());
      // AND the edge restarts (the last snapshot is written at stop, restored at start)
      edge.stop();
      edge.start();
      e = edge.rules.engine();
      // THEN the running average continues (3 values) and the cooldown still holds
      List<RuleEngine.Alert> third = e.evaluate(reading("dev-1", 3, 80)).alerts();
      assertEquals(List.of("watch"), third.stream().map(a -> a.rule().id()).toList());
      assertView(third.get(0).window(), 3, 210, 60, 80, 70, 10);
      assertEquals(1.0, edge.registry.get("edge.rule.alerts.suppressed").tag("rule", "avg-high").counter().count());
      assertTrue(edge.log.store("state").get(RuleEngine.stateKey("avg-high")) != null);
    } finally {
      edge.close();
    }
  }
}
