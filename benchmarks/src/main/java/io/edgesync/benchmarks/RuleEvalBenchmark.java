package io.edgesync.benchmarks;

import io.edgesync.edge.rules.RuleCompiler;
import io.edgesync.edge.rules.RuleEngine;
import io.edgesync.edge.rules.RulesFile;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the local rules per event, as on the MQTT event loop: {@link RuleEngine#evaluate}
 * on a freshly built event, i.e. payload JSON parse + window update + CEL evaluation +
 * decision (nothing is stored). {@code threshold}: one rule
 * {@code topic.startsWith('sensors/') && payload.value > 80.0}; {@code window}: one rule over
 * a 1-minute sliding window of {@code value} ({@code window.avg > 80.0 && window.count >= 10})
 * with one event per second per source, so about 60 values are in the window.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RuleEval -wi 2 -i 3 -f 1}
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RuleEvalBenchmark {
  private static final String THRESHOLD = """
      rules:
        - id: over-temp
          when: "topic.startsWith('sensors/') && payload.value > 80.0"
          action: alert
      """;
  private static final String WINDOW = """
      rules:
        - id: avg-high
          when: "window.avg > 80.0 && window.count >= 10"
          action: alert
          window: {size: 1m, type: sliding, field: value}
      """;

  @Param({"threshold", "window"})
  public String rule;

  private RuleEngine engine;
  private byte[][] payloads;
  private long eventTime;
  private int i;

  @Setup(Level.Trial)
  public void setUp() {
    engine = new RuleEngine(new SimpleMeterRegistry());
    String yaml = rule.equals("threshold") ? THRESHOLD : WINDOW;
    engine.install(RuleCompiler.compile(RulesFile.parse("bench.yaml", yaml.getBytes(StandardCharsets.UTF_8)),
        Instant.now()));
    payloads = new byte[64][];
    for (int k = 0; k < payloads.length; k++) {
      // mostly below the threshold, like real traffic; ~200 bytes like the ingest benchmarks
      payloads[k] = ("{\"id\":\"dev-1-" + k + "\",\"ts\":1700000000000,\"value\":" + (60 + k % 30) + ".5,"
          + "\"unit\":\"C\",\"site\":\"plant-7\",\"line\":4,\"status\":\"ok\",\"fw\":\"2.4.1\",\"battery\":0.93}")
          .getBytes(StandardCharsets.UTF_8);
    }
    eventTime = 1_700_000_000_000L;
  }

  @Benchmark
  public RuleEngine.Decision evaluate() {
    eventTime += 1000;
    byte[] p = payloads[i++ & 63];
    Event e = new Event(0, 0, Priority.NORMAL, "dev-1", "sensors/dev-1/temp", null, eventTime, eventTime, p);
    return engine.evaluate(e);
  }
}
