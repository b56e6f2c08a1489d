package io.edgesync.provisioning.bundle;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A small YAML writer for the config files the CLI generates: nested maps built from dotted keys
 * ({@code put("tls.cert", ...)} writes {@code tls: {cert: ...}}), scalars, lists of scalars and
 * end-of-line comments. Strings are written plain when that is unambiguous and double-quoted
 * otherwise, so that a value like {@code 010}, {@code true} or {@code a:b} stays a string.
 *
 * <p>Not thread-safe; build, render, discard.
 */
public final class YamlDocument {
  private static final Pattern PLAIN = Pattern.compile("(?:[A-Za-z/]|\\.{1,2}/)[A-Za-z0-9_./-]*");
  private static final Set<String> RESERVED = Set.of("y", "n", "yes", "no", "true", "false", "on", "off", "null");

  private final List<String> header = new ArrayList<>();
  private final Map<String, Object> root = new LinkedHashMap<>();

  /** One value and its end-of-line comment (null for none). */
  private record Entry(Object value, String comment) {}

  /** Adds a {@code # line} at the top of the file. */
  public YamlDocument comment(String line) {
    header.add(line);
    return this;
  }

  /** Sets {@code dottedKey} to a String, Number, Boolean or List of those. */
  public YamlDocument put(String dottedKey, Object value) {
    return put(dottedKey, value, null);
  }

  /** Sets {@code dottedKey} with an end-of-line comment. */
  public YamlDocument put(String dottedKey, Object value, String comment) {
    Objects.requireNonNull(value, dottedKey);
    String[] parts = dottedKey.split("\\.");
    Map<String, Object> map = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = map.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
      if (!(child instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(dottedKey + ": " + parts[i] + " already holds a value");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> next = (Map<String, Object>) child;
      map = next;
    }
    map.put(parts[parts.length - 1], new Entry(value, comment));
    return this;
  }

  /** The YAML text, ending with a newline. */
  public String render() {
    StringBuilder out = new StringBuilder();
    header.forEach(h -> out.append("# ").append(h).append('\n'));
    render(root, "", out);
    return out.toString();
  }

  private static void render(Map<String, Object> map, String indent, StringBuilder out) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      out.append(indent).append(e.getKey()).append(':');
      if (e.getValue() instanceof Map<?, ?> child) {
        out.append('\n');
        @SuppressWarnings("unchecked")
        Map<String, Object> nested = (Map<String, Object>) child;
        render(nested, indent + "  ", out);
        continue;
      }
      Entry entry = (Entry) e.getValue();
      if (entry.value() instanceof List<?> list) {
        comment(entry.comment(), out);
        out.append('\n');
        for (Object item : list) {
          out.append(indent).append("  - ").append(scalar(item)).append('\n');
        }
      } else {
        out.append(' ').append(scalar(entry.value()));
        comment(entry.comment(), out);
        out.append('\n');
      }
    }
  }

  private static void comment(String comment, StringBuilder out) {
    if (comment != null) {
      out.append("  # ").append(comment);
    }
  }

  /** A YAML scalar for {@code value}: numbers and booleans plain, strings plain or double-quoted. */
  static String scalar(Object value) {
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    String s = value.toString();
    if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
      return s;
    }
    StringBuilder q = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        case '\r' -> q.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            q.append(String.format("\\x%02x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
