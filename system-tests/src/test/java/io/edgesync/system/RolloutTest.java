package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 acceptance 3 on real processes and real mutual TLS: 10 edge nodes of group {@code lab}
 * (enrolled with the real CLI, each with its own certificate, data folder and ports; all in one
 * child JVM, see {@link EdgeFleetMain}) and one cloud-ingest. A good rules version goes through
 * shadow (fire counts compared), canary and promote until all 10 run it; then a version with a CEL
 * error is rejected by the 10% canary, the rollout halts with the node and the error, and the other
 * 9 keep the good version, as the cloud's status and each edge's /status show.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RolloutTest {
  private static final int NODES = 10;
  private static final String GOOD = """
      rules:
        - id: hot
          when: "topic.startsWith('sensors/') && payload.value > 80.0"
          action: alert
      """;
  private static final String BROKEN = """
      rules:
        - id: hot
          when: "topic.startsWith('sensors/') && payload.value > 80.0"
          action: alert
        - id: broken-rule
          when: "payload.value >"
          action: alert
      """;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path dir;
  private static Stack stack;
  /** node id → [mqtt port, http port] */
  private static final Map<String, int[]> ports = new LinkedHashMap<>();
  private static long t0;

  @BeforeAll
  static void start() throws Exception {
    t0 = System.nanoTime();
    stack = new Stack(dir);
    // enrol the 10 nodes with the CLI while the cloud (and its embedded Kafka) starts
    ExecutorService enrolment = Executors.newSingleThreadExecutor();
    Future<?> enrolled = enrolment.submit(() -> {
      for (int i = 1; i <= NODES; i++) {
        String id = String.format("edge-%02d", i);
        stack.provision("enrol", "--dir", stack.fleet.toString(), "--node-id", id, "--group", "lab", "--cloud",
            "localhost:" + stack.ingestPort, "--out", dir.resolve(id).toString());
        ports.put(id, new int[] {uniquePort(), uniquePort()});
      }
      return null;
    });
    stack.startCloud();
    enrolled.get(3, TimeUnit.MINUTES);
    enrolment.shutdown();
    List<List<String>> args = new ArrayList<>();
    ports.forEach((id, p) -> args.add(List.of("--config", dir.resolve(id).resolve("edge.yaml").toString(),
        "--set", "mqtt.port=" + p[0], "--set", "mqtt.tlsPort=0", "--set", "http.port=" + p[1],
        "--set", "heartbeat.intervalMs=300", "--set", "mqtt.eventLoops=1")));
    stack.startEdgeFleet("edge-fleet", args, "640m");
    System.out.printf("rollout: cloud + %d enrolled edges running after %d ms%n", NODES, ms());
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aGoodVersionReachesAllTenAndABrokenOneIsHaltedByTheCanaryWhileTheOtherNineKeepTheGoodOne() throws Exception {
    Path good = dir.resolve("good.yaml");
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(good, GOOD);
    Files.writeString(broken, BROKEN);
    String goodVersion = version(GOOD);

    // GIVEN a rollout of the good version with a shadow stage on a 10% canary
    String started = cli("rollout", "--group", "lab", "--file", good.toString(), "--canary", "10%", "--shadow");
    assertTrue(started.contains("stage shadow, canary edge-01 (1 of 10 nodes)"), started);
    Await.until("the canary runs the good version in shadow", Duration.ofSeconds(30),
        () -> goodVersion.equals(status("edge-01").path("rules").path("shadow").path("version").asText()));

    // WHEN the canary sees 100 readings (20 above 80)
    MqttLoad.publish(ports.get("edge-01")[0], "shadow", 1, 100, 50);

    // THEN the cloud compares the canary's shadow fires with its active ones (no active rules yet)
    JsonNode shadowStatus = awaitStatus("the canary's shadow fires reach the cloud", Duration.ofSeconds(30),
        s -> node(s, "edge-01").path("fires").path("shadowTotal").asLong() == 20);
    assertEquals(0, node(shadowStatus, "edge-01").path("fires").path("activeTotal").asLong());
    assertEquals(20, node(shadowStatus, "edge-01").path("fires").path("shadow").path("hot").asLong());
    System.out.println("rollout: shadow fires on the canary: " + node(shadowStatus, "edge-01").path("fires"));

    // WHEN promoted to canary, then to everyone
    cli("rollout", "promote", "--group", "lab");
    Await.until("the canary activates the good version", Duration.ofSeconds(30),
        () -> goodVersion.equals(status("edge-01").path("rules").path("version").asText()));
    assertNotEquals(goodVersion, status("edge-05").path("rules").path("version").asText(),
        "a non-canary does not get it before promote");
    long promotedAt = System.nanoTime();
    String promoted = cli("rollout", "promote", "--group", "lab");
    assertTrue(promoted.contains(": promoted, version " + goodVersion), promoted);

    // THEN all 10 report it, in the cloud and on each edge
    JsonNode all = awaitStatus("all 10 nodes applied the good version", Duration.ofSeconds(30),
        s -> s.path("counts").path("applied").asInt() == NODES);
    System.out.printf("rollout: promote to all %d nodes applied in %d ms%n", NODES,
        (System.nanoTime() - promotedAt) / 1_000_000);
    assertEquals("promoted", all.path("stage").asText());
    for (String id : ports.keySet()) {
      JsonNode s = status(id);
      assertEquals(goodVersion, s.path("rules").path("version").asText(), id);
      assertEquals("cloud", s.path("rules").path("source").asText(), id);
      assertEquals("applied", s.path("config").path("result").asText(), id);
      assertEquals(goodVersion, node(all, id).path("running").asText(), id);
    }

    // WHEN a version with a CEL error is rolled out to a 10% canary
    String brokenVersion = version(BROKEN);
    cli("rollout", "--group", "lab", "--file", broken.toString(), "--canary", "10%");

    // THEN the canary rejects it and the rollout halts, naming the node and the error
    JsonNode halted = awaitStatus("the rollout halts", Duration.ofSeconds(30),
        s -> "halted".equals(s.path("stage").asText()));
    assertEquals(2, halted.path("rollout").asInt());
    assertEquals(brokenVersion, halted.path("version").asText());
    assertEquals("edge-01", halted.path("halted").path("node").asText());
    String error = halted.path("halted").path("error").asText();
    assertTrue(error.contains("broken-rule"), error);
    System.out.println("rollout: halted by edge-01: " + error);
    String text = cli("rollout", "status", "--group", "lab");
    assertTrue(text.contains("halted (in canary)") && text.contains("halted by edge-01: "), text);
    // a halted rollout cannot be promoted: exit 1 with one line
    assertEquals(1, stack.provisionExitCode(cliArgs("rollout", "promote", "--group", "lab")));

    // AND the other 9 keep the good version (they never get the broken one), and so does the canary
    JsonNode settled = awaitStatus("the other 9 acknowledge that they keep the good version", Duration.ofSeconds(30),
        s -> s.path("counts").path("applied").asInt() == NODES - 1);
    assertEquals(1, settled.path("counts").path("failed").asInt());
    JsonNode canary = status("edge-01");
    assertEquals(goodVersion, canary.path("rules").path("version").asText());
    assertEquals("failed", canary.path("config").path("result").asText());
    assertTrue(canary.path("config").path("error").asText().contains("broken-rule"));
    for (String id : ports.keySet()) {
      if (!id.equals("edge-01")) {
        JsonNode s = status(id);
        assertEquals(goodVersion, s.path("rules").path("version").asText(), id);
        assertEquals("lab/2/" + goodVersion + "+-", s.path("config").path("id").asText(), id);
        assertEquals("applied", s.path("config").path("result").asText(), id);
        assertEquals(goodVersion, node(settled, id).path("running").asText(), id);
      }
    }

    // WHEN rolled back THEN every node is told to run the good version, the canary included
    String back = cli("rollout", "rollback", "--group", "lab");
    assertTrue(back.contains(": rolled_back (after halting in canary), version " + brokenVersion), back);
    awaitStatus("every node acknowledges the rollback", Duration.ofSeconds(30),
        s -> s.path("counts").path("applied").asInt() == NODES);
    System.out.printf("rollout: whole scenario done %d ms after the start%n", ms());
  }

  // ------------------------------------------------------------------ helpers

  private static final java.util.Set<Integer> taken = new java.util.HashSet<>();

  /** A free port not handed out before: 20 ports are picked before any is bound. */
  private static int uniquePort() {
    int p = Ports.free();
    while (!taken.add(p) || p == stack.ingestPort || p == stack.cloudHttpPort || p == stack.kafkaPort
        || p == stack.kafkaControllerPort) {
      p = Ports.free();
    }
    return p;
  }

  private static String[] cliArgs(String... args) {
    List<String> all = new ArrayList<>(List.of(args[0]));
    int sub = args.length > 1 && !args[1].startsWith("--") ? 2 : 1;
    all.addAll(List.of(args).subList(1, sub));
    all.addAll(List.of("--dir", stack.fleet.toString(), "--cloud", "localhost:" + stack.ingestPort,
        "--operator", "rollout-test"));
    all.addAll(List.of(args).subList(sub, args.length));
    return all.toArray(String[]::new);
  }

  private static String cli(String... args) throws Exception {
    return stack.provisionOutput(cliArgs(args));
  }

  private static JsonNode cloudStatus() throws Exception {
    return JSON.readTree(cli("rollout", "status", "--group", "lab", "--json"));
  }

  private static JsonNode awaitStatus(String what, Duration timeout, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode s = cloudStatus();
    while (!done.test(s)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + timeout + "; last status: " + s);
      }
      Thread.sleep(300);
      s = cloudStatus();
    }
    return s;
  }

  private static JsonNode node(JsonNode status, String id) {
    for (JsonNode n : status.path("nodes")) {
      if (id.equals(n.path("node").asText())) {
        return n;
      }
    }
    throw new AssertionError("no node " + id + " in " + status);
  }

  private static JsonNode status(String id) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(id)[1]
          + "/status")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError(id + " /status: " + e, e);
    }
  }


  private static String version(String rules) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(rules.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(d).substring(0, 12);
  }

  private static long ms() {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
