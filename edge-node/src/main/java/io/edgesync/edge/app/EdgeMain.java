package io.edgesync.edge.app;

import io.edgesync.config.ConfigException;
import io.edgesync.config.LaunchArgs;
import io.edgesync.edge.config.EdgeConfig;
import io.edgesync.edge.config.EdgeKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code java -jar edge-node.jar --config edge.yaml [--set key=value ...] [--help]}.
 *
 * <p>Exit codes: 0 after {@code --help}; 2 on a configuration error (its one-line message
 * on stderr); 1 when the node cannot start (one line on stderr naming the port or key,
 * e.g. {@code edge-node: cannot start: cannot listen on mqtt.port 1883 (0.0.0.0): Address
 * already in use}). Once running it prints exactly one line starting with
 * {@code edge-node ready:} on stdout (see {@link EdgeNode#readyLine()}), and stops cleanly
 * on SIGTERM / Ctrl-C (JVM shutdown hook).
 */
public final class EdgeMain {
  static final long START_TIMEOUT_S = 60;
  static final long STOP_TIMEOUT_S = 45;

  private EdgeMain() {}

  public static void main(String[] args) {
    Launched launched = launch(args, System.out, System.err, true);
    if (launched.node() == null) {
      System.exit(launched.exitCode());
    }
  }

  /**
   * A launch's outcome: a running node (exit code -1) or the exit code to end with.
   */
  public record Launched(int exitCode, EdgeNode node, Runnable shutdown) {}

  /**
   * Parses {@code args}, starts the node and prints the ready line; never exits the JVM.
   *
   * @param shutdownHook register a JVM shutdown hook that stops the node
   */
  public static Launched launch(String[] args, PrintStream out, PrintStream err, boolean shutdownHook) {
    EdgeConfig config;
    try {
      LaunchArgs launchArgs = LaunchArgs.parse(args);
      if (launchArgs.help()) {
        out.print(EdgeKeys.usage());
        out.flush();
        return new Launched(0, null, () -> { });
      }
      config = EdgeConfig.from(launchArgs.settings());
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.flush();
      return new Launched(2, null, () -> { });
    }

    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    EdgeNode node = new EdgeNode(vertx, config, registry, version(), Clock.systemUTC());
    AtomicBoolean down = new AtomicBoolean();
    Runnable shutdown = () -> {
      if (down.compareAndSet(false, true)) {
        await(node.stop(), STOP_TIMEOUT_S);
        await(vertx.close(), 10);
      }
    };
    if (shutdownHook) {
      Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "edge-node-shutdown"));
    }
    try {
      node.start().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      err.println("edge-node: cannot start: " + oneLine(e.getCause()));
      err.flush();
      shutdown.run();
      return new Launched(1, null, () -> { });
    } catch (TimeoutException | InterruptedException e) {
      err.println("edge-node: cannot start: not started within " + START_TIMEOUT_S + " s");
      err.flush();
      shutdown.run();
      return new Launched(1, null, () -> { });
    }
    out.println(node.readyLine());
    out.flush();
    return new Launched(-1, node, shutdown);
  }

  /** The build's version (from the jar's Maven metadata), "dev" when run from classes. */
  static String version() {
    try (InputStream in = EdgeMain.class.getResourceAsStream(
        "/META-INF/maven/io.edgesync/edge-node/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "dev");
      }
    } catch (java.io.IOException e) {
      // fall through
    }
    return "dev";
  }

  private static void await(io.vertx.core.Future<?> f, long seconds) {
    try {
      f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("edge-node: shutdown step did not complete: " + oneLine(e));
    }
  }

  private static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
