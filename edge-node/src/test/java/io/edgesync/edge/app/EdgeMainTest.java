package io.edgesync.edge.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeMainTest {
  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private EdgeMain.Launched launch(String... args) {
    return EdgeMain.launch(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), false);
  }

  private List<String> errLines() {
    return err.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void helpListsTheKeysAndExitsZero() {
    EdgeMain.Launched l = launch("--help");
    assertEquals(0, l.exitCode());
    String usage = out.toString(StandardCharsets.UTF_8);
    assertTrue(usage.contains("node.id") && usage.contains("forward.maxInFlight") && usage.contains("mqtt.tlsPort"));
  }

  @Test
  void aConfigErrorIsOneLineAndExitTwo() {
    EdgeMain.Launched l = launch("--set", "node.id=n1", "--set", "forward.maxInFlight=0");
    assertEquals(2, l.exitCode());
    assertEquals(List.of("command line: forward.maxInFlight must be >= 1 (got 0)"), errLines());
    assertEquals(2, launch("--bogus").exitCode());
  }

  @Test
  void aPortInUseIsNamedAndExitOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      EdgeMain.Launched l = launch("--set", "node.id=n1", "--set", "data.dir=" + dir.resolve("data"),
          "--set", "mqtt.host=127.0.0.1", "--set", "mqtt.port=" + taken.getLocalPort(), "--set", "http.port=0");
      assertEquals(1, l.exitCode());
      List<String> lines = errLines();
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).startsWith("edge-node: cannot start: cannot listen on mqtt.port "
          + taken.getLocalPort()), lines.get(0));
    }
  }

  @Test
  void aStartedNodePrintsOneReadyLineWithTheBoundPorts() {
    EdgeMain.Launched l = launch("--set", "node.id=n1", "--set", "data.dir=" + dir.resolve("data"),
        "--set", "mqtt.host=127.0.0.1", "--set", "mqtt.port=0", "--set", "http.host=127.0.0.1",
        "--set", "http.port=0");
    try {
      assertEquals(-1, l.exitCode());
      assertNotNull(l.node());
      List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
      assertEquals(1, lines.size(), lines.toString());
      Matcher m = Pattern.compile("^edge-node ready: node=n1 mqtt=(\\d+) mqtts=off http=(\\d+) data=(\\S+) "
          + "endpoints=none$").matcher(lines.get(0));
      assertTrue(m.matches(), lines.get(0));
      assertEquals(l.node().mqttPort(), Integer.parseInt(m.group(1)));
      assertEquals(l.node().httpPort(), Integer.parseInt(m.group(2)));
      assertEquals(dir.resolve("data").toString(), m.group(3));
    } finally {
      l.shutdown().run();
    }
  }
}
