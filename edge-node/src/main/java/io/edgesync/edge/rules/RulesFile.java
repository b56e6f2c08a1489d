package io.edgesync.edge.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.edgesync.edge.mqtt.TopicFilter;
import io.edgesync.model.Priority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a rules file (YAML, format in docs/RULES.md) into a {@link RulesDocument}. Every
 * mistake is a {@link RulesFileException} with one line naming the file, the rule id and the
 * line when known. Pure (no CEL here; see {@link RuleCompiler}); blocking file I/O in
 * {@link #read(Path)}, so call it on a worker.
 */
public final class RulesFile {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern RULE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");
  private static final Set<String> TOP_KEYS = Set.of("rules", "schemas");
  private static final Set<String> RULE_KEYS = Set.of("id", "when", "action", "severity", "priority", "every",
      "window", "cooldown");
  private static final Set<String> WINDOW_KEYS = Set.of("size", "type", "field", "lateness");
  private static final Set<String> SCHEMA_KEYS = Set.of("match", "json", "required", "ranges", "maxPayloadBytes");
  /** Most rules in one file: each costs an evaluation per event. */
  public static final int MAX_RULES = 256;

  private RulesFile() {}

  /** Reads and parses {@code file}. Blocking. */
  public static RulesDocument read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new RulesFileException(file + ": cannot read the rules file: " + e);
    }
    return parse(file.getFileName().toString(), bytes);
  }

  /** Parses the bytes of a rules file named {@code origin}. */
  public static RulesDocument parse(String origin, byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    JsonNode root;
    try {
      root = YAML.readTree(bytes);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new RulesFileException(origin + (line > 0 ? ":" + line : "") + ": not valid YAML: "
          + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new RulesFileException(origin + ": not valid YAML: " + firstLine(e.getMessage()));
    }
    List<RuleSpec> rules = new ArrayList<>();
    List<SchemaSpec> schemas = new ArrayList<>();
    if (root != null && !root.isMissingNode() && !root.isNull()) {
      if (!root.isObject()) {
        throw new RulesFileException(origin + ": the top level must be a map with 'rules' and/or 'schemas'");
      }
      checkKeys(origin, "top level", root, TOP_KEYS);
      JsonNode r = root.get("rules");
      if (r != null && !r.isNull()) {
        if (!r.isArray()) {
          throw new RulesFileException(origin + ": 'rules' must be a list");
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode n : r) {
          RuleSpec spec = rule(origin, text, n, rules.size());
          if (!ids.add(spec.id())) {
            throw new RulesFileException(where(origin, spec.line()) + ": rule " + spec.id() + ": duplicate id");
          }
          rules.add(spec);
        }
        if (rules.size() > MAX_RULES) {
          throw new RulesFileException(origin + ": at most " + MAX_RULES + " rules (got " + rules.size() + ")");
        }
      }
      JsonNode s = root.get("schemas");
      if (s != null && !s.isNull()) {
        if (!s.isArray()) {
          throw new RulesFileException(origin + ": 'schemas' must be a list");
        }
        for (JsonNode n : s) {
          schemas.add(schema(origin, n, schemas.size()));
        }
      }
    }
    return new RulesDocument(origin, version(bytes), rules, schemas);
  }

  private static RuleSpec rule(String origin, String text, JsonNode n, int index) {
    if (!n.isObject()) {
      throw new RulesFileException(origin + ": rules[" + index + "] must be a map");
    }
    String id = text(n, "id");
    if (id == null || !RULE_ID.matcher(id).matches()) {
      throw new RulesFileException(origin + ": rules[" + index + "]: id must match [A-Za-z0-9._-]{1,64} (got "
          + id + ")");
    }
    int line = lineOf(text, id);
    String at = where(origin, line) + ": rule " + id + ": ";
    checkKeys(at, n, RULE_KEYS);
    String when = text(n, "when");
    if (when == null || when.isBlank()) {
      throw new RulesFileException(at + "'when' (a CEL expression) is required");
    }
    RuleAction action;
    try {
      action = RuleAction.parse(String.valueOf(text(n, "action")));
    } catch (IllegalArgumentException e) {
      throw new RulesFileException(at + e.getMessage());
    }
    String severity = text(n, "severity");
    if (severity != null && action != RuleAction.ALERT) {
      throw new RulesFileException(at + "'severity' applies to alert rules only");
    }
    Priority priority = null;
    String p = text(n, "priority");
    if (action == RuleAction.TAG) {
      if (p == null) {
        throw new RulesFileException(at + "a tag rule needs 'priority' (critical, normal or bulk)");
      }
      try {
        priority = Priority.parse(p);
      } catch (IllegalArgumentException e) {
        throw new RulesFileException(at + "priority " + e.getMessage());
      }
    } else if (p != null) {
      throw new RulesFileException(at + "'priority' applies to tag rules only");
    }
    int every = 1;
    if (action == RuleAction.DOWNSAMPLE) {
      JsonNode e = n.get("every");
      if (e == null || !e.canConvertToInt() || e.asInt() < 1 || !e.isIntegralNumber()) {
        throw new RulesFileException(at + "a downsample rule needs 'every' (an integer >= 1) (got " + e + ")");
      }
      every = e.asInt();
    } else if (n.has("every")) {
      throw new RulesFileException(at + "'every' applies to downsample rules only");
    }
    long cooldown = 0;
    if (n.has("cooldown")) {
      if (action != RuleAction.ALERT) {
        throw new RulesFileException(at + "'cooldown' applies to alert rules only");
      }
      cooldown = duration(at, "cooldown", n.get("cooldown"));
    }
    WindowSpec window = null;
    JsonNode w = n.get("window");
    if (w != null && !w.isNull()) {
      if (!w.isObject()) {
        throw new RulesFileException(at + "'window' must be a map {size, type, field, lateness}");
      }
      checkKeys(at + "window: ", w, WINDOW_KEYS);
      if (!w.has("size")) {
        throw new RulesFileException(at + "window: 'size' is required");
      }
      long size = duration(at, "window.size", w.get("size"));
      if (size <= 0) {
        throw new RulesFileException(at + "window.size must be > 0");
      }
      String type = w.has("type") ? w.get("type").asText().toLowerCase(Locale.ROOT) : "tumbling";
      if (!type.equals("tumbling") && !type.equals("sliding")) {
        throw new RulesFileException(at + "window.type must be tumbling or sliding (got " + type + ")");
      }
      String field = w.has("field") ? w.get("field").asText() : "value";
      long lateness = w.has("lateness") ? duration(at, "window.lateness", w.get("lateness")) : 0;
      window = new WindowSpec(size, type.equals("sliding"), field, lateness);
    }
    return new RuleSpec(id, when, action, severity == null ? "warning" : severity, priority, every, window,
        cooldown, line);
  }

  private static SchemaSpec schema(String origin, JsonNode n, int index) {
    String at0 = origin + ": schemas[" + index + "]";
    if (!n.isObject()) {
      throw new RulesFileException(at0 + " must be a map");
    }
    String match = text(n, "match");
    if (match == null) {
      throw new RulesFileException(at0 + ": 'match' (an MQTT topic filter) is required");
    }
    String at = origin + ": schema " + match + ": ";
    checkKeys(at, n, SCHEMA_KEYS);
    TopicFilter filter;
    try {
      filter = TopicFilter.parse(match);
    } catch (IllegalArgumentException e) {
      throw new RulesFileException(at + "invalid topic filter: " + e.getMessage());
    }
    boolean json = n.has("json") && n.get("json").asBoolean();
    List<SchemaSpec.Field> required = new ArrayList<>();
    JsonNode req = n.get("required");
    if (req != null && !req.isNull()) {
      if (!req.isObject()) {
        throw new RulesFileException(at + "'required' must be a map field: type");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = req.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        try {
          required.add(new SchemaSpec.Field(f.getKey(),
              SchemaSpec.FieldType.valueOf(f.getValue().asText().toUpperCase(Locale.ROOT))));
        } catch (IllegalArgumentException e) {
          throw new RulesFileException(at + "required." + f.getKey()
              + " must be one of number, string, boolean, object, array (got " + f.getValue().asText() + ")");
        }
      }
    }
    List<SchemaSpec.Range> ranges = new ArrayList<>();
    JsonNode rg = n.get("ranges");
    if (rg != null && !rg.isNull()) {
      if (!rg.isObject()) {
        throw new RulesFileException(at + "'ranges' must be a map field: [min, max]");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = rg.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        JsonNode v = f.getValue();
        if (!v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()
            || v.get(0).asDouble() > v.get(1).asDouble()) {
          throw new RulesFileException(at + "ranges." + f.getKey() + " must be [min, max] with min <= max (got "
              + v + ")");
        }
        ranges.add(new SchemaSpec.Range(f.getKey(), v.get(0).asDouble(), v.get(1).asDouble()));
      }
    }
    int maxBytes = 0;
    if (n.has("maxPayloadBytes")) {
      JsonNode m = n.get("maxPayloadBytes");
      if (!m.isIntegralNumber() || m.asLong() < 1 || m.asLong() > Integer.MAX_VALUE) {
        throw new RulesFileException(at + "maxPayloadBytes must be an integer >= 1 (got " + m + ")");
      }
      maxBytes = m.asInt();
    }
    return new SchemaSpec(match, filter, json, required, ranges, maxBytes);
  }

  /** Milliseconds from {@code 250}, {@code "250ms"}, {@code "10s"}, {@code "1m"}, {@code "2h"}, {@code "1d"}. */
  static long duration(String at, String key, JsonNode v) {
    if (v.isIntegralNumber() && v.asLong() >= 0) {
      return v.asLong();
    }
    Matcher m = DURATION.matcher(v.asText().trim());
    if (!v.isTextual() || !m.matches()) {
      throw new RulesFileException(at + key + " must be a duration like 500ms, 10s, 1m, 2h (got " + v.asText() + ")");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "s" -> n * 1000;
      case "m" -> n * 60_000;
      case "h" -> n * 3_600_000;
      case "d" -> n * 86_400_000;
      default -> n;
    };
  }

  private static void checkKeys(String origin, String what, JsonNode n, Set<String> allowed) {
    checkKeys(origin + ": " + what + ": ", n, allowed);
  }

  private static void checkKeys(String at, JsonNode n, Set<String> allowed) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new RulesFileException(at + "unknown key '" + k + "' (known: " + String.join(", ",
            allowed.stream().sorted().toList()) + ")");
      }
    }
  }

  private static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The line declaring {@code id: <id>} (1-based), 0 when not found. */
  private static int lineOf(String text, String id) {
    Pattern p = Pattern.compile("^\\s*(-\\s*)?id\\s*:\\s*[\"']?" + Pattern.quote(id) + "[\"']?\\s*(#.*)?$",
        Pattern.MULTILINE);
    Matcher m = p.matcher(text);
    if (!m.find()) {
      return 0;
    }
    int line = 1;
    for (int i = 0; i < m.start(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    // the match may start on the previous line's newline
    return text.charAt(m.start()) == '\n' ? line + 1 : line;
  }

  static String where(String origin, int line) {
    return line > 0 ? origin + ":" + line : origin;
  }

  private static String version(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}
