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
import org.junit.jupiter.api.Test;

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
}
