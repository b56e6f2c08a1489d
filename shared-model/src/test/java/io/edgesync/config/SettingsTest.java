package io.edgesync.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    Path f = dir.resolve("edge.yaml");
    Files.writeString(f, text);
    return f;
  }

  @Test
  void nestedMapsAndDottedKeysAreTheSame() throws Exception {
    Settings s = Settings.load(yaml("node:\n  id: a\nmqtt.port: 1884\ncloud:\n  endpoints: [h1:9443, h2:9443]\n"), List.of());
    assertEquals("a", s.requiredString("node.id"));
    assertEquals(1884, s.port("mqtt.port", 1883));
    assertEquals(List.of("h1:9443", "h2:9443"), s.list("cloud.endpoints", List.of()));
    s.requireAllKnown();
  }

  @Test
  void overridesWinAndListsTakeCommaSeparatedValues() throws Exception {
    Settings s = Settings.load(yaml("cloud:\n  endpoints: [h1:9443]\n"),
        List.of("cloud.endpoints=a:1,b:2", "http.port=0"));
    assertEquals(List.of("a:1", "b:2"), s.list("cloud.endpoints", List.of()));
    assertEquals(0, s.port("http.port", 8081));
  }

  @Test
  void relativePathsResolveAgainstTheConfigFolder() throws Exception {
    Settings s = Settings.load(yaml("data:\n  dir: data\n"), List.of());
    assertEquals(dir.resolve("data"), s.path("data.dir", "data"));
  }

  @Test
  void badValueNamesFileKeyAndValueOnOneLine() throws Exception {
    Settings s = Settings.load(yaml("forward:\n  maxInFlight: 0\n"), List.of());
    ConfigException e = assertThrows(ConfigException.class, () -> s.integer("forward.maxInFlight", 4, 1, 64));
    assertEquals("edge.yaml: forward.maxInFlight must be >= 1 (got 0)", e.getMessage());
    Settings t = Settings.load(yaml("mqtt:\n  port: many\n"), List.of());
    assertEquals("edge.yaml: mqtt.port must be a whole number (got many)",
        assertThrows(ConfigException.class, () -> t.port("mqtt.port", 1883)).getMessage());
  }

  @Test
  void unknownKeyIsRefused() throws Exception {
    Settings s = Settings.load(yaml("node:\n  id: a\nnode.idd: b\n"), List.of());
    s.requiredString("node.id");
    assertEquals("edge.yaml: unknown key node.idd", assertThrows(ConfigException.class, s::requireAllKnown).getMessage());
  }

  @Test
  void sizesAndDurationsAcceptUnits() {
    Settings s = Settings.of(java.util.Map.of("a", "1MiB", "b", "250ms", "c", "2m"));
    assertEquals(1 << 20, s.integer("a", 0, 0, Integer.MAX_VALUE));
    assertEquals(Duration.ofMillis(250), s.duration("b", Duration.ZERO, Duration.ZERO, Duration.ofHours(1)));
    assertEquals(Duration.ofMinutes(2), s.duration("c", Duration.ZERO, Duration.ZERO, Duration.ofHours(1)));
  }

  @Test
  void brokenYamlAndMissingFileGiveOneLine() throws Exception {
    assertEquals(1, assertThrows(ConfigException.class,
        () -> Settings.load(yaml("node: [unclosed\n"), List.of())).getMessage().lines().count());
    assertEquals(true, assertThrows(ConfigException.class,
        () -> Settings.load(dir.resolve("nope.yaml"), List.of())).getMessage().endsWith("no such config file"));
  }

  @Test
  void launchArgsParseConfigSetAndHelp() {
    LaunchArgs a = LaunchArgs.parse(new String[] {"--config", "x.yaml", "--set", "a.b=1", "--set=c=2", "--help"});
    assertEquals(Path.of("x.yaml"), a.config());
    assertEquals(List.of("a.b=1", "c=2"), a.overrides());
    assertEquals(true, a.help());
    assertEquals("unknown argument --bogus (try --help)",
        assertThrows(ConfigException.class, () -> LaunchArgs.parse(new String[] {"--bogus"})).getMessage());
  }
}
