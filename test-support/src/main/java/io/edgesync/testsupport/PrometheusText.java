package io.edgesync.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format (0.0.4): every line is empty, a comment
 * ({@code # ...}), or {@code name{label="value",...} value [timestamp]}; anything else fails.
 */
public final class PrometheusText {
  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?[ \\t]+(\\S+)([ \\t]+-?\\d+)?");
  private static final Pattern LABEL = Pattern.compile(
      "\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"\\s*(,|$)");

  private PrometheusText() {}

  public static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("line " + n + " is not `name{labels} value`: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      String body = m.group(3);
      if (body != null && !body.isEmpty()) {
        Matcher l = LABEL.matcher(body);
        int end = 0;
        while (end < body.length() && l.find(end) && l.start() == end) {
          labels.put(l.group(1), l.group(2));
          end = l.end();
        }
        if (end != body.length()) {
          throw new AssertionError("line " + n + " has malformed labels: " + line);
        }
      }
      out.add(new Sample(m.group(1), labels, value(m.group(4), n, line)));
    }
    return out;
  }

  private static double value(String v, int n, String line) {
    switch (v) {
      case "NaN": return Double.NaN;
      case "+Inf": return Double.POSITIVE_INFINITY;
      case "-Inf": return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(v);
        } catch (NumberFormatException e) {
          throw new AssertionError("line " + n + " has a bad value: " + line);
        }
    }
  }

  /** Whether a series of the documented metric {@code name} is present (histograms: _bucket/_count/_sum). */
  public static boolean has(List<Sample> samples, String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name) || s.name().equals(name + "_count")
        || s.name().equals(name + "_bucket") || s.name().equals(name + "_sum"));
  }

  /** The sum of every series of {@code name} whose labels include {@code labels}. */
  public static double sum(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet()))
        .mapToDouble(Sample::value).sum();
  }

  /**
   * The metric names documented in docs/METRICS.md under the heading that starts with
   * {@code section}: the backticked first cell of each table row, without its {label} part;
   * rows marked {@code (on first use)} are skipped (their series appear with the first event).
   */
  public static List<String> documented(Path metricsMd, String section) throws java.io.IOException {
    List<String> names = new ArrayList<>();
    boolean in = false;
    for (String line : Files.readAllLines(metricsMd)) {
      if (line.startsWith("## ")) {
        in = line.startsWith("## " + section);
        continue;
      }
      if (in && line.startsWith("| `") && !line.contains("(on first use)")) {
        String cell = line.substring(3, line.indexOf('`', 3));
        int brace = cell.indexOf('{');
        names.add(brace < 0 ? cell : cell.substring(0, brace));
      }
    }
    return names;
  }
}
