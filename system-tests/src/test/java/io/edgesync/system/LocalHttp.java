package io.edgesync.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

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
}
