package io.edgesync.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One process's settings: a YAML file flattened to dotted keys, with {@code --set key=value}
 * overrides on top. Nested maps and dotted keys are equivalent in the file
 * ({@code node: {id: a}} is {@code node.id: a}). Lists are YAML sequences or, from the
 * command line, comma-separated values.
 *
 * <p>Typed getters validate and take the default when a key is absent. Every key a getter
 * asks for is recorded, so that {@link #requireAllKnown()} can refuse a typo. Every failure is
 * a {@link ConfigException} with one line naming the key.
 *
 * <p>Not thread-safe; used once at start-up.
 */
public final class Settings {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final String origin;
  private final Path baseDir;
  private final Map<String, Object> values;
  private final Set<String> known = new TreeSet<>();

  private Settings(String origin, Path baseDir, Map<String, Object> values) {
    this.origin = origin;
    this.baseDir = baseDir;
    this.values = values;
  }

  /**
   * Loads {@code file} (when not null) and applies {@code overrides} ({@code key=value}).
   * Relative paths resolve against the file's folder, or the working directory without a file.
   */
  public static Settings load(Path file, List<String> overrides) {
    Map<String, Object> values = new LinkedHashMap<>();
    String origin = "command line";
    Path baseDir = Path.of("").toAbsolutePath();
    if (file != null) {
      origin = file.getFileName().toString();
      baseDir = file.toAbsolutePath().getParent();
      JsonNode root;
      try {
        root = YAML.readTree(Files.readAllBytes(file));
      } catch (NoSuchFileException e) {
        throw new ConfigException(file + ": no such config file");
      } catch (IOException e) {
        throw new ConfigException(origin + ": not valid YAML: " + firstLine(e.getMessage()));
      }
      if (root != null && !root.isMissingNode() && !root.isNull()) {
        if (!root.isObject()) {
          throw new ConfigException(origin + ": the top level must be a map of settings");
        }
        flatten("", root, values);
      }
    }
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set " + o + ": expected key=value");
      }
      values.put(o.substring(0, eq).trim(), o.substring(eq + 1));
    }
    return new Settings(origin, baseDir, values);
  }

  /** Settings from a map of dotted keys (tests, embedding). */
  public static Settings of(Map<String, ?> values) {
    return new Settings("settings", Path.of("").toAbsolutePath(), new LinkedHashMap<>(values));
  }

  private static void flatten(String prefix, JsonNode node, Map<String, Object> out) {
    Iterator<Map.Entry<String, JsonNode>> it = node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key, v, out);
      } else if (v.isArray()) {
        List<String> list = new ArrayList<>();
        v.forEach(x -> list.add(x.isValueNode() ? x.asText() : x.toString()));
        out.put(key, list);
      } else if (v.isNull()) {
        out.put(key, "");
      } else {
        out.put(key, v.asText());
      }
    }
  }

  /** The file name (or "command line") used as the prefix of error messages. */
  public String origin() {
    return origin;
  }

  /** The folder relative paths resolve against. */
  public Path baseDir() {
    return baseDir;
  }

  public boolean has(String key) {
    known.add(key);
    return values.containsKey(key);
  }

  public String string(String key, String def) {
    known.add(key);
    Object v = values.get(key);
    if (v == null) {
      return def;
    }
    if (v instanceof List<?>) {
      throw fail(key, "must be a single value, not a list");
    }
    return v.toString().trim();
  }

  /** A string that must be present and not blank. */
  public String requiredString(String key) {
    String v = string(key, null);
    if (v == null || v.isBlank()) {
      throw fail(key, "is required");
    }
    return v;
  }

  public int integer(String key, int def, int min, int max) {
    long v = longValue(key, def, min, max);
    return (int) v;
  }

  public long longValue(String key, long def, long min, long max) {
    String s = string(key, null);
    long v;
    if (s == null || s.isEmpty()) {
      v = def;
    } else {
      try {
        v = parseLong(s);
      } catch (NumberFormatException e) {
        throw fail(key, "must be a whole number (got " + s + ")");
      }
    }
    if (v < min) {
      throw fail(key, "must be >= " + min + " (got " + v + ")");
    }
    if (v > max) {
      throw fail(key, "must be <= " + max + " (got " + v + ")");
    }
    return v;
  }

  /** A port: 0 (pick a free one / disabled, as the key documents) to 65535. */
  public int port(String key, int def) {
    return integer(key, def, 0, 65535);
  }

  public boolean bool(String key, boolean def) {
    String s = string(key, null);
    if (s == null || s.isEmpty()) {
      return def;
    }
    return switch (s.toLowerCase()) {
      case "true", "yes", "on" -> true;
      case "false", "no", "off" -> false;
      default -> throw fail(key, "must be true or false (got " + s + ")");
    };
  }

  /** A duration in milliseconds; accepts {@code 250}, {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
  public Duration duration(String key, Duration def, Duration min, Duration max) {
    String s = string(key, null);
    Duration d;
    if (s == null || s.isEmpty()) {
      d = def;
    } else {
      try {
        d = parseDuration(s);
      } catch (IllegalArgumentException e) {
        throw fail(key, "must be a duration like 250ms, 5s, 2m (got " + s + ")");
      }
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw fail(key, "must be between " + min.toMillis() + "ms and " + max.toMillis() + "ms (got "
          + d.toMillis() + "ms)");
    }
    return d;
  }

  /** A list: a YAML sequence or a comma-separated string. Blank entries are dropped. */
  public List<String> list(String key, List<String> def) {
    known.add(key);
    Object v = values.get(key);
    if (v == null) {
      return def;
    }
    List<String> out = new ArrayList<>();
    if (v instanceof List<?> l) {
      l.forEach(x -> out.add(x.toString().trim()));
    } else {
      for (String part : v.toString().split(",")) {
        out.add(part.trim());
      }
    }
    out.removeIf(String::isEmpty);
    return List.copyOf(out);
  }

  /** A path, resolved against {@link #baseDir()} when relative; {@code null} when absent and no default. */
  public Path path(String key, String def) {
    String s = string(key, def);
    if (s == null || s.isEmpty()) {
      return null;
    }
    Path p = Path.of(s);
    return p.isAbsolute() ? p.normalize() : baseDir.resolve(p).normalize();
  }

  /** A path that must name an existing, readable file. */
  public Path existingFile(String key, String def) {
    Path p = path(key, def);
    if (p == null) {
      throw fail(key, "is required");
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw fail(key, "names no readable file (" + p + ")");
    }
    return p;
  }

  /** {@code host:port}, e.g. for endpoints; throws naming the key when malformed. */
  public static HostPort hostPort(Settings s, String key, String value) {
    try {
      return HostPort.parse(value);
    } catch (IllegalArgumentException e) {
      throw s.fail(key, e.getMessage());
    }
  }

  /** A ConfigException for {@code key}: "{origin}: {key} {problem}". */
  public ConfigException fail(String key, String problem) {
    return new ConfigException(origin + ": " + key + " " + problem);
  }

  /** Refuses keys that no getter asked for (typos); call after reading everything. */
  public void requireAllKnown() {
    for (String key : values.keySet()) {
      if (!known.contains(key) && known.stream().noneMatch(k -> k.endsWith(".*") && key.startsWith(k.substring(0, k.length() - 1)))) {
        throw new ConfigException(origin + ": unknown key " + key);
      }
    }
  }

  /** Marks every key under {@code prefix.} as known (for free-form sections). */
  public Map<String, String> section(String prefix) {
    known.add(prefix + ".*");
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(prefix + ".")) {
        out.put(k.substring(prefix.length() + 1), v.toString());
      }
    });
    return out;
  }

  private static long parseLong(String s) {
    String t = s.replace("_", "").trim();
    long mult = 1;
    String lower = t.toLowerCase();
    if (lower.endsWith("kib") || lower.endsWith("kb") || lower.endsWith("k")) {
      mult = 1024;
    } else if (lower.endsWith("mib") || lower.endsWith("mb") || lower.endsWith("m")) {
      mult = 1024L * 1024;
    } else if (lower.endsWith("gib") || lower.endsWith("gb") || lower.endsWith("g")) {
      mult = 1024L * 1024 * 1024;
    }
    if (mult != 1) {
      t = t.replaceAll("(?i)(kib|kb|k|mib|mb|m|gib|gb|g)$", "").trim();
    }
    return Math.multiplyExact(Long.parseLong(t), mult);
  }

  static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase();
    if (t.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
    }
    if (t.endsWith("s")) {
      return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).trim()));
    }
    if (t.endsWith("m")) {
      return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1).trim()));
    }
    if (t.endsWith("h")) {
      return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1).trim()));
    }
    return Duration.ofMillis(Long.parseLong(t));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
