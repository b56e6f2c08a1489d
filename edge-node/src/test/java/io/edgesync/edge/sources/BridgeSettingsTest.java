package io.edgesync.edge.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.ConfigException;
import io.edgesync.config.Settings;
import io.edgesync.model.Priority;
import java.time.Duration;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeSettingsTest {

  private static List<BridgeSettings> read(String... overrides) {
    return BridgeSettings.read(Settings.load(null, List.of(overrides)));
  }

  private static String error(String... overrides) {
    return assertThrows(ConfigException.class, () -> read(overrides)).getMessage();
  }

  @Test
  void readsABridgeWithItsDefaults() {
    List<BridgeSettings> b = read("bridge.names=plant", "bridge.plant.endpoint=broker:1883",
        "bridge.plant.topics=plant/#,line/+/temp");
    assertEquals(1, b.size());
    BridgeSettings p = b.get(0);
    assertEquals("bridge:plant", p.source());
    assertEquals("edgesync-bridge-plant", p.clientId());
    assertEquals(List.of("plant/#", "line/+/temp"), p.topics());
    assertEquals(Priority.NORMAL, p.priority());
    assertNull(p.username());
    assertNull(p.password());
    assertEquals(Duration.ofMillis(200), p.reconnectInitial());
    assertEquals(Duration.ofSeconds(30), p.reconnectMax());
    assertEquals(262_144, p.maxPayloadBytes());
  }

  @Test
  void noBridgeByDefault() {
    assertTrue(read().isEmpty());
  }

  @Test
  void refusesBadBridgeConfigurationNamingTheKey() {
    assertTrue(error("bridge.names=plant", "bridge.plant.topics=a/#").contains("bridge.plant.endpoint"));
    assertTrue(error("bridge.names=plant", "bridge.plant.endpoint=b:1").contains("bridge.plant.topics"));
    assertTrue(error("bridge.names=plant", "bridge.plant.endpoint=b:1", "bridge.plant.topics=a/#/b")
        .contains("bridge.plant.topics"));
    assertTrue(error("bridge.names=plant", "bridge.plant.endpoint=b:1", "bridge.plant.topics=a",
        "bridge.plant.qos=2").contains("unknown key bridge.plant.qos"));
    assertTrue(error("bridge.other.endpoint=b:1").contains("not in bridge.names"));
    assertTrue(error("bridge.names=plant", "bridge.plant.endpoint=b:1", "bridge.plant.topics=a",
        "bridge.plant.priority=urgent").contains("bridge.plant.priority"));
    assertTrue(error("bridge.names=plant", "bridge.plant.endpoint=b:1", "bridge.plant.topics=a",
        "bridge.plant.reconnectInitialMs=500", "bridge.plant.reconnectMaxMs=100")
        .contains("bridge.plant.reconnectMaxMs"));
    assertTrue(error("bridge.names=a b").contains("bridge.names"));
  }

  @Test
  void readsTlsAndRefusesItsMistakesNamingTheKey(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    Path key = Files.writeString(dir.resolve("k.pem"), "x");
    String[] base = {"bridge.names=plant", "bridge.plant.endpoint=broker:8883", "bridge.plant.topics=a/#"};
    assertNull(read(base).get(0).tls());
    BridgeSettings.Tls tls = read(with(base, "bridge.plant.tls=true", "bridge.plant.ca=" + ca,
        "bridge.plant.cert=" + cert, "bridge.plant.key=" + key)).get(0).tls();
    assertEquals(new BridgeSettings.Tls(ca, cert, key, true), tls);
    assertEquals(new BridgeSettings.Tls(null, null, null, false),
        read(with(base, "bridge.plant.tls=true", "bridge.plant.verifyHost=false")).get(0).tls());

    assertEquals("command line: bridge.plant.ca is set but bridge.plant.tls is false (set bridge.plant.tls=true)",
        error(with(base, "bridge.plant.ca=" + ca)));
    assertEquals("command line: bridge.plant.key is required with bridge.plant.cert",
        error(with(base, "bridge.plant.tls=true", "bridge.plant.cert=" + cert)));
    assertTrue(error(with(base, "bridge.plant.tls=true", "bridge.plant.ca=" + dir.resolve("missing.pem")))
        .startsWith("command line: bridge.plant.ca names no readable file"));
  }

  private static String[] with(String[] base, String... more) {
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }
}
