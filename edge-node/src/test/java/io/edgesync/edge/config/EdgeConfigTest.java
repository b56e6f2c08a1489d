package io.edgesync.edge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.ConfigException;
import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.edge.forward.ForwarderConfig;
import io.edgesync.wire.Compression;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EdgeConfigTest {
  @TempDir
  Path dir;

  private Path yaml(String text) throws Exception {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Path file = conf.resolve("edge.yaml");
    Files.writeString(file, text);
    return file;
  }

  private Path tlsFiles() throws Exception {
    Path conf = Files.createDirectories(dir.resolve("conf"));
    for (String f : List.of("node.crt", "node.key", "ca.crt")) {
      Files.writeString(conf.resolve(f), "-----BEGIN X-----\n-----END X-----\n");
    }
    return conf;
  }

  private static String error(Settings s) {
    return assertThrows(ConfigException.class, () -> EdgeConfig.from(s)).getMessage();
  }

  @Test
  void aMinimalConfigTakesTheDefaults() throws Exception {
    EdgeConfig c = EdgeConfig.from(Settings.load(yaml("node:\n  id: n1\n"), List.of()));
    assertEquals("n1", c.nodeId());
    assertEquals("", c.nodeGroup());
    assertEquals(dir.resolve("conf/data"), c.dataDir(), "relative to the config file's folder");
    assertEquals(dir.resolve("conf/data/rocksdb"), c.dbDir());
    assertEquals("0.0.0.0", c.mqtt().host());
    assertEquals(1883, c.mqtt().port());
    assertEquals(0, c.mqtt().tlsPort(), "no certificate: TLS listener off");
    assertEquals(262_144, c.mqtt().maxPayloadBytes());
    assertEquals(8081, c.httpPort());
    assertEquals(16_384, c.log().queueCapacity());
    assertEquals(4096, c.log().maxGroupEvents());
    assertEquals(16L * 1024 * 1024, c.log().queueMaxBytes());
    assertEquals(48L * 1024 * 1024, c.log().memoryBytes());
    assertTrue(c.cloudEndpoints().isEmpty());
    assertFalse(c.forwarder().isPresent());
  }

  @Test
  void aFullConfigBuildsTheForwarderConfig() throws Exception {
    tlsFiles();
    Path file = yaml("""
        node: {id: plant-7.gw_1, group: north}
        data: {dir: /var/tmp/edge-data}
        mqtt: {port: 11883, tlsPort: 18883, maxPayloadBytes: 64k}
        http: {port: 18081}
        cloud:
          endpoints: [cloud-a:9443, "[::1]:9444"]
        tls: {cert: node.crt, key: node.key, ca: ca.crt}
        streams:
          critical: [alarms/#]
          bulk: [logs/+, debug/#]
        log: {queueCapacity: 1000, maxGroupEvents: 100}
        forward:
          maxBatchEvents: 500
          maxBatchBytes: 2m
          lingerMs: 5
          maxInFlight: 8
          compression: none
          retryInitialMs: 100
          retryMaxMs: 10000
          requestTimeoutMs: 5000
        """);
    EdgeConfig c = EdgeConfig.from(Settings.load(file, List.of("forward.maxInFlight=2")));
    assertEquals("plant-7.gw_1", c.nodeId());
    assertEquals("north", c.nodeGroup());
    assertEquals(Path.of("/var/tmp/edge-data"), c.dataDir());
    assertEquals(18883, c.mqtt().tlsPort());
    assertEquals(dir.resolve("conf/node.crt"), c.mqtt().tlsCert());
    assertEquals(65_536, c.mqtt().maxPayloadBytes());
    assertEquals(List.of("alarms/#"), c.mqtt().critical().stream().map(Object::toString).toList());
    assertEquals(2, c.mqtt().bulk().size());
    ForwarderConfig f = c.forwarder().orElseThrow();
    assertEquals("plant-7.gw_1", f.nodeId());
    assertEquals(List.of(new HostPort("cloud-a", 9443), new HostPort("::1", 9444)), f.endpoints());
    assertEquals(dir.resolve("conf/ca.crt"), f.tlsCa());
    assertEquals(500, f.maxBatchEvents());
    assertEquals(2 * 1024 * 1024, f.maxBatchBytes());
    assertEquals(Duration.ofMillis(5), f.linger());
    assertEquals(2, f.maxInFlight(), "--set wins over the file");
    assertEquals(Compression.NONE, f.compression());
    assertEquals(Duration.ofMillis(100), f.retryInitial());
    assertEquals(Duration.ofSeconds(10), f.retryMax());
    assertEquals(Duration.ofSeconds(5), f.requestTimeout());
  }

  @Test
  void commaSeparatedEndpointsFromTheCommandLine() throws Exception {
    Path conf = tlsFiles();
    EdgeConfig c = EdgeConfig.from(Settings.load(null, List.of("node.id=n1", "cloud.endpoints=a:9443,b:9443",
        "tls.cert=" + conf.resolve("node.crt"), "tls.key=" + conf.resolve("node.key"),
        "tls.ca=" + conf.resolve("ca.crt"))));
    assertEquals(List.of(new HostPort("a", 9443), new HostPort("b", 9443)), c.cloudEndpoints());
    assertEquals(1883, c.mqtt().port());
    assertEquals(8883, c.mqtt().tlsPort(), "certificate present: TLS listener on by default");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "forward.maxInFlight=0 | edge.yaml: forward.maxInFlight must be >= 1 (got 0)",
      "forward.maxBatchEvents=-5 | edge.yaml: forward.maxBatchEvents must be >= 1 (got -5)",
      "forward.compression=gzip | edge.yaml: forward.compression must be one of none, zstd (got gzip)",
      "forward.retryMaxMs=50 | edge.yaml: forward.retryMaxMs must be >= forward.retryInitialMs (200) (got 50)",
      "mqtt.port=70000 | edge.yaml: mqtt.port must be <= 65535 (got 70000)",
      "mqtt.port=abc | edge.yaml: mqtt.port must be a whole number (got abc)",
      "mqtt.maxPayloadBytes=0 | edge.yaml: mqtt.maxPayloadBytes must be >= 1 (got 0)",
      "log.queueCapacity=0 | edge.yaml: log.queueCapacity must be >= 1 (got 0)",
      "log.memoryBytes=1m | edge.yaml: log.memoryBytes must be >= 8388608 (got 1048576)",
      "node.id=bad id! | edge.yaml: node.id must match [A-Za-z0-9._-]{1,64} (got bad id!)",
      "mqtt.prot=1884 | edge.yaml: unknown key mqtt.prot",
      "streams.critical=a/#/b | edge.yaml: streams.critical has an invalid topic filter: '#' must be the last level of a topic filter (a/#/b)",
      "cloud.endpoints=nohost | edge.yaml: cloud.endpoints must be host:port (got nohost)",
      "cloud.endpoints=a:9443 | edge.yaml: tls.cert is required",
      "mqtt.tlsPort=8884 | edge.yaml: mqtt.tlsPort needs tls.cert and tls.key (set mqtt.tlsPort=0 to disable the TLS listener)",
      "http.port=1883 | edge.yaml: http.port must differ from mqtt.port (both 1883)",
      "tls.cert=missing.crt | edge.yaml: tls.cert names no readable file (MISSING)",
  })
  void aBadValueFailsWithOneLineNamingTheKey(String override, String expected) throws Exception {
    Path file = yaml("node: {id: n1}\n");
    String message = error(Settings.load(file, List.of(override)));
    assertEquals(expected.replace("MISSING", dir.resolve("conf/missing.crt").toString()), message);
    assertFalse(message.contains("\n"));
  }

  @Test
  void aMissingNodeIdIsNamed() {
    assertEquals("command line: node.id is required", error(Settings.load(null, List.of("mqtt.port=1"))));
  }

  @Test
  void everyDocumentedKeyIsKnownAndListedInTheUsage() throws Exception {
    Path conf = tlsFiles();
    Map<String, String> values = new LinkedHashMap<>();
    for (EdgeKeys.Key k : EdgeKeys.ALL) {
      values.put(k.name(), "");
    }
    values.put("node.id", "n1");
    values.put("cloud.endpoints", "a:9443");
    values.put("tls.cert", conf.resolve("node.crt").toString());
    values.put("tls.key", conf.resolve("node.key").toString());
    values.put("tls.ca", conf.resolve("ca.crt").toString());
    values.put("forward.compression", "zstd");
    values.put("mqtt.host", "0.0.0.0");
    values.put("http.host", "0.0.0.0");
    values.put("data.dir", "data");
    List<String> overrides = new ArrayList<>();
    values.forEach((k, v) -> overrides.add(k + "=" + v));
    EdgeConfig c = EdgeConfig.from(Settings.load(null, overrides));
    assertEquals("n1", c.nodeId());
    String usage = EdgeKeys.usage();
    for (EdgeKeys.Key k : EdgeKeys.ALL) {
      assertTrue(usage.contains(k.name()), k.name());
    }
    assertNull(EdgeConfig.from(Settings.of(Map.of("node.id", "n2"))).tlsCert());
  }
}
