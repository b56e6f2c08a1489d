package io.edgesync.cloud.testkit;

import io.edgesync.cloud.app.CloudConfig;
import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.config.Settings;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Builds a CloudIngest for tests: free ports, an existing Kafka, the test certificates. */
public final class TestCloud {
  private TestCloud() {}

  /** Settings for a cloud on free ports writing to {@code bootstrap}; add or override with {@code extra}. */
  public static CloudConfig config(TestPki pki, String bootstrap, Path dataDir, Map<String, String> extra) {
    Map<String, Object> m = new HashMap<>();
    m.put("ingest.host", "127.0.0.1");
    m.put("ingest.port", "0");
    m.put("http.host", "127.0.0.1");
    m.put("http.port", "0");
    m.put("data.dir", dataDir.toString());
    m.put("kafka.bootstrap", bootstrap);
    m.put("tls.cert", pki.server().cert().toString());
    m.put("tls.key", pki.server().key().toString());
    m.put("tls.ca", pki.caCert().toString());
    m.putAll(extra);
    return CloudConfig.from(Settings.of(m));
  }

  /** Starts a cloud and waits for it (bounded). */
  public static CloudIngest start(CloudConfig config) {
    CloudIngest c = new CloudIngest(config);
    await(c.start(), Duration.ofSeconds(60));
    return c;
  }

  public static <T> T await(Future<T> f, Duration timeout) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("did not complete within " + timeout + ": " + e, e);
    }
  }
}
