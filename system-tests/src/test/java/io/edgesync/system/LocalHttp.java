package io.edgesync.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Plain HTTP GETs on loopback: the /status, /health and /metrics pages of the child processes. */
final class LocalHttp {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private LocalHttp() {}

  /** The body of {@code GET http://127.0.0.1:port path}, whatever the status. */
  static String get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** As {@link #get}, or a one-line description of why it failed: for diagnostics printed by a failing test. */
  static String describe(int port, String path) {
    try {
      return get(port, path);
    } catch (Exception e) {
      return "GET " + path + " on port " + port + " failed: " + e;
    }
  }

  /**
   * A Prometheus sample of {@code /metrics} summed over its series, only those with the label
   * value {@code labelValue} unless it is null. A failed GET fails the test (usable in lambdas).
   */
  static double metric(int port, String name, String labelValue) {
    String text;
    try {
      text = get(port, "/metrics");
    } catch (Exception e) {
      throw new AssertionError("GET /metrics on port " + port + ": " + e, e);
    }
    Pattern p = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE);
    Matcher m = p.matcher(text);
    double sum = 0;
    while (m.find()) {
      if (labelValue == null || (m.group(1) != null && m.group(1).contains("\"" + labelValue + "\""))) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }
}
