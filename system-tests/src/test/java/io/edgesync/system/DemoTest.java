package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2 acceptance 5: the README's demo command brings the whole stack up, simulated
 * sensors and market ticks flow into Kafka, and SIGTERM stops everything.
 */
class DemoTest {
  @TempDir Path data;

  @Test
  @Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
  void demoStartsTheStackRecordsFlowIntoKafkaAndSigtermStopsIt() throws Exception {
    // every demo port (1883 .. 9443) + offset stays below the kernel's ephemeral range (32768+), where an
    // outgoing connection's source port could take it between our pick and the demo's bind
    int offset = 10_000 + 10 * ThreadLocalRandom.current().nextInt(1_300);
    List<String> cmd = List.of("bash", Stack.root().resolve("demo").toString());
    Map<String, String> env = Map.of("DEMO_DATA_DIR", data.toString(), "DEMO_PORT_OFFSET", Integer.toString(offset));
    try (ChildProcess demo = ChildProcess.start("demo", cmd, data.resolve("test-logs"), Stack.root(), env)) {
      demo.awaitLine("demo ready", Duration.ofMinutes(3));
      List<ProcessHandle> children = ProcessHandle.of(demo.pid()).orElseThrow().descendants().toList();
      assertTrue(children.size() >= 3, "cloud, edge and simulators run as children: " + children);

      List<KafkaVerifier.Rec> sensors = KafkaVerifier.await("localhost:" + (9092 + offset), "edge.events",
          r -> r.source() != null && r.source().startsWith("sensor-"), 100, Duration.ofMinutes(1), false);
      List<KafkaVerifier.Rec> ticks = KafkaVerifier.await("localhost:" + (9092 + offset), "edge.events",
          r -> "market-feed".equals(r.source()), 50, Duration.ofMinutes(1), false);
      System.out.printf("demo: %d sensor records and %d market ticks in Kafka%n", sensors.size(), ticks.size());
      assertTrue(sensors.size() >= 100, "sensor records in Kafka: " + sensors.size());
      assertTrue(ticks.size() >= 50, "market ticks in Kafka: " + ticks.size());
      assertTrue(demo.lines().stream().anyMatch(l -> l.contains("http://localhost:" + (8080 + offset) + "/")),
          "the dashboard URL is printed");

      assertEquals(0, demo.stop(Duration.ofSeconds(60)), "demo exit code on SIGTERM");
      for (ProcessHandle child : children) {
        child.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(child.isAlive(), "child " + child.pid() + " stopped");
      }
    }
  }
}
