package io.edgesync.sim;

import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import java.util.List;

/**
 * Settings of the demo load.
 *
 * @param mqtt            edge MQTT listener to publish to
 * @param sensors         number of simulated sensor devices (one MQTT connection each)
 * @param sensorRatePerSec readings per second per sensor
 * @param symbols         instruments of the simulated market feed; empty disables the feed
 * @param ticksPerSec     ticks per second over all instruments
 * @param qos             MQTT QoS for every publish (0 or 1)
 * @param total           stop after this many messages in all (0 = run until stopped)
 * @param window          QoS1 messages in flight per connection
 * @param marketMode      {@code mqtt} (the feed publishes ticks over MQTT) or {@code tcp} (a TCP feed server)
 * @param marketHost      TCP feed: address to listen on
 * @param marketPort      TCP feed: port (0 = a free one, printed in the ready line)
 * @param marketTotal     TCP feed: stop producing after this many ticks (0 = never)
 * @param gapEvery        TCP feed: leave every N-th seq out of the live stream (0 = never)
 * @param replayBuffer    TCP feed: ticks kept for replay requests
 */
public record SimulatorConfig(
    HostPort mqtt, int sensors, double sensorRatePerSec, List<String> symbols, double ticksPerSec,
    int qos, long total, int window, String marketMode, String marketHost, int marketPort, long marketTotal,
    int gapEvery, int replayBuffer) {

  static final String HELP = """
      Usage: java -jar simulators.jar [--config FILE] [--set key=value ...]
      Simulated sensor fleet and market-data feed publishing over MQTT to an edge node.
        mqtt.endpoint       edge MQTT listener host:port           (localhost:1883)
        sensors.count       simulated sensors, one connection each  (20)
        sensors.ratePerSec  readings per second per sensor          (2)
        market.symbols      instruments of the feed, comma-separated (ACME,GLOBX,INITECH,UMBRL); empty: no feed
        market.ticksPerSec  ticks per second over all instruments   (50)
        qos                 0 or 1                                  (1)
        total               stop after this many messages, 0 = run until stopped (0)
        window              QoS1 messages in flight per connection  (100)
        market.mode         mqtt: ticks published over MQTT; tcp: a TCP feed server the edge connects to (mqtt)
        market.host         tcp: address to listen on               (0.0.0.0)
        market.port         tcp: port, 0 = a free one               (7070)
        market.total        tcp: stop producing after this many ticks, 0 = never (0)
        market.gapEvery     tcp: leave every N-th seq out of the live stream (kept for replay), 0 = never (0)
        market.replayBuffer tcp: last ticks kept for {"replay":{"from":A,"to":B}} requests (100000)
      """;

  static SimulatorConfig from(Settings s) {
    SimulatorConfig c = new SimulatorConfig(
        Settings.hostPort(s, "mqtt.endpoint", s.string("mqtt.endpoint", "localhost:1883")),
        s.integer("sensors.count", 20, 0, 10_000),
        ratePerSec(s, "sensors.ratePerSec", 2),
        s.list("market.symbols", List.of("ACME", "GLOBX", "INITECH", "UMBRL")),
        ratePerSec(s, "market.ticksPerSec", 50),
        s.integer("qos", 1, 0, 1),
        s.longValue("total", 0, 0, Long.MAX_VALUE),
        s.integer("window", 100, 1, 65_535),
        marketMode(s),
        s.string("market.host", "0.0.0.0"),
        s.port("market.port", 7070),
        s.longValue("market.total", 0, 0, Long.MAX_VALUE),
        s.integer("market.gapEvery", 0, 0, Integer.MAX_VALUE),
        s.integer("market.replayBuffer", 100_000, 1, 10_000_000));
    s.requireAllKnown();
    return c;
  }

  private static String marketMode(Settings s) {
    String m = s.string("market.mode", "mqtt");
    if (!m.equals("mqtt") && !m.equals("tcp")) {
      throw s.fail("market.mode", "must be mqtt or tcp (got " + m + ")");
    }
    return m;
  }

  boolean tcpFeed() {
    return marketMode.equals("tcp") && !symbols.isEmpty();
  }

  private static double ratePerSec(Settings s, String key, double def) {
    String v = s.string(key, null);
    if (v == null || v.isEmpty()) {
      return def;
    }
    try {
      double d = Double.parseDouble(v);
      if (d <= 0 || d > 1_000_000) {
        throw s.fail(key, "must be > 0 and <= 1000000 (got " + v + ")");
      }
      return d;
    } catch (NumberFormatException e) {
      throw s.fail(key, "must be a number (got " + v + ")");
    }
  }
}
