package io.edgesync.edge.sources;

import io.edgesync.config.HostPort;
import io.edgesync.config.Settings;
import io.edgesync.model.Priority;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One market-data feed the edge connects to as a TCP client ({@code feed.<name>.*}; the
 * feeds are listed in {@code feed.names}). Protocol and policies: docs/ARCHITECTURE-edge.md,
 * "Sources".
 *
 * @param name              feed name: source {@code feed:<name>}, event ids {@code <name>:<seq>}
 * @param endpoint          feed server host:port
 * @param topic             topic template; {@code {symbol}} is replaced by the tick's symbol
 * @param priority          class of the ticks
 * @param startSeq          first seq expected after the edge starts (0 = whatever the feed sends first)
 * @param maxLineBytes      longest accepted line; a longer one is counted and skipped
 * @param replay            whether gaps are asked again from the feed ({@code {"replay":...}})
 * @param gapTimeout        how long ticks after a gap are held for the replay before the gap is declared lost
 * @param maxBufferedTicks  ticks held after a gap at most; beyond it the gap is declared lost
 * @param reconnectInitial  first reconnect delay (doubles, full jitter)
 * @param reconnectMax      ceiling of the reconnect delay
 */
public record FeedSettings(String name, HostPort endpoint, String topic, Priority priority, long startSeq,
    int maxLineBytes, boolean replay, Duration gapTimeout, int maxBufferedTicks, Duration reconnectInitial,
    Duration reconnectMax) {

  public static final String NAMES = "feed.names";
  static final String DEFAULT_TOPIC = "market/{symbol}/ticks";
  static final int DEFAULT_MAX_LINE_BYTES = 64 * 1024;
  static final Duration DEFAULT_GAP_TIMEOUT = Duration.ofSeconds(5);
  static final int DEFAULT_MAX_BUFFERED_TICKS = 50_000;
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  /** Every per-feed key; anything else under {@code feed.<name>.} is refused. */
  private static final Set<String> FEED_KEYS = Set.of("endpoint", "topic", "priority", "startSeq", "maxLineBytes",
      "replay", "gapTimeout", "maxBufferedTicks", "reconnectInitialMs", "reconnectMaxMs");

  public FeedSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(topic, "topic");
    Objects.requireNonNull(priority, "priority");
  }

  /** Source id of the feed's events: {@code feed:<name>}. */
  public String source() {
    return "feed:" + name;
  }

  /** Reads {@code feed.names} and each named feed's keys; refuses unknown {@code feed.*} keys. */
  public static List<FeedSettings> read(Settings s) {
    List<String> names = s.list(NAMES, List.of());
    Map<String, String> section = s.section("feed"); // marks feed.* known; checked below instead
    for (Map.Entry<String, String> e : section.entrySet()) {
      String key = e.getKey();
      if (key.equals("names") || e.getValue().isBlank()) {
        continue; // a blank value is the same as no value (as for every other key)
      }
      int dot = key.indexOf('.');
      String feed = dot < 0 ? key : key.substring(0, dot);
      String sub = dot < 0 ? "" : key.substring(dot + 1);
      if (!names.contains(feed) || !FEED_KEYS.contains(sub)) {
        throw new io.edgesync.config.ConfigException(s.origin() + ": unknown key feed." + key
            + (names.contains(feed) ? "" : " (feed " + feed + " is not in feed.names)"));
      }
    }
    List<FeedSettings> out = new ArrayList<>();
    for (String name : names) {
      if (!NAME.matcher(name).matches()) {
        throw s.fail(NAMES, "has an invalid feed name, must match [A-Za-z0-9_-]{1,32} (got " + name + ")");
      }
      String p = "feed." + name + ".";
      HostPort endpoint = Settings.hostPort(s, p + "endpoint", s.requiredString(p + "endpoint"));
      String topic = s.string(p + "topic", DEFAULT_TOPIC);
      if (topic.isEmpty() || topic.contains("+") || topic.contains("#")) {
        throw s.fail(p + "topic", "must be a topic name without wildcards (got " + topic + ")");
      }
      Priority priority = SourceKeys.priority(s, p);
      SourceKeys.Reconnect reconnect = SourceKeys.reconnect(s, p);
      out.add(new FeedSettings(name, endpoint, topic, priority,
          s.longValue(p + "startSeq", 0, 0, Long.MAX_VALUE - 1),
          s.integer(p + "maxLineBytes", DEFAULT_MAX_LINE_BYTES, 64, 16 * 1024 * 1024),
          s.bool(p + "replay", true),
          s.duration(p + "gapTimeout", DEFAULT_GAP_TIMEOUT, Duration.ofMillis(10), Duration.ofHours(1)),
          s.integer(p + "maxBufferedTicks", DEFAULT_MAX_BUFFERED_TICKS, 1, 10_000_000),
          reconnect.initial(), reconnect.max()));
    }
    return List.copyOf(out);
  }
}
