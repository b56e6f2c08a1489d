package io.edgesync.system;

import io.edgesync.testsupport.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

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
   * The sum of the series of {@code name} on {@code /metrics} whose labels include {@code labels},
   * read with the strict {@link PrometheusText} parser. A failed GET fails the test (usable in lambdas).
   */
  static double metric(int port, String name, Map<String, String> labels) {
    String text;
    try {
      text = get(port, "/metrics");
    } catch (Exception e) {
      throw new AssertionError("GET /metrics on port " + port + ": " + e, e);
    }
    return PrometheusText.sum(PrometheusText.parse(text), name, labels);
  }
}
