package io.edgesync.cloud.app;

import io.edgesync.config.ConfigException;
import io.edgesync.config.LaunchArgs;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar cloud-ingest.jar [--config cloud.yaml] [--set key=value ...] [--help]}.
 *
 * <p>Exit codes: 0 after --help or a clean stop (SIGTERM / Ctrl-C), 1 when start-up fails, 2 on
 * a configuration error (one line on stderr naming the key). Once running it prints one line
 * starting with {@code cloud-ingest ready:} on stdout.
 */
public final class CloudMain {
  /** Exit code of a configuration error. */
  public static final int EXIT_CONFIG = 2;
  /** Exit code of a start-up failure (port taken, Kafka unreachable, bad TLS material). */
  public static final int EXIT_START = 1;
  private static final long STOP_TIMEOUT_S = 30;

  private CloudMain() {}

  public static void main(String[] args) {
    // Kafka's broker touches the log4j2 API; the jar has no log4j2 backend (we log through
    // slf4j-simple), so pick log4j2's built-in simple context instead of an error on stderr
    if (System.getProperty("log4j2.loggerContextFactory") == null) {
      System.setProperty("log4j2.loggerContextFactory", "org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
    }
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
    // running: Vert.x and Kafka threads keep the JVM alive until SIGTERM runs the hook
  }

  /**
   * Parses, validates, starts and returns; the service keeps running on its own threads, and a
   * JVM shutdown hook stops it. Returns the exit code for the caller to use when non-zero.
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CloudConfig config;
    try {
      LaunchArgs launch = LaunchArgs.parse(args);
      if (launch.help()) {
        out.print(usage());
        return 0;
      }
      config = CloudConfig.from(launch.settings());
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return EXIT_CONFIG;
    }
    CloudIngest cloud = new CloudIngest(config);
    try {
      cloud.start().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      err.println("cloud-ingest: cannot start: " + firstLine(cause));
      return EXIT_START;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("cloud-ingest stopping");
      cloud.stop().onComplete(ar -> stopped.countDown());
      try {
        if (!stopped.await(STOP_TIMEOUT_S, TimeUnit.SECONDS)) {
          err.println("cloud-ingest: stop did not finish within " + STOP_TIMEOUT_S + " s");
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      out.println("cloud-ingest stopped");
      out.flush();
    }, "cloud-ingest-shutdown"));
    out.println(cloud.readyLine());
    out.flush();
    return 0;
  }

  /** The --help text: usage and every key with its default. */
  static String usage() {
    StringBuilder b = new StringBuilder();
    b.append("usage: java -jar cloud-ingest.jar [--config cloud.yaml] [--set key=value]... [--help]\n\n")
        .append("Receives edge batches over HTTPS (HTTP/2, mutual TLS) and writes them exactly once to Kafka.\n")
        .append("Relative paths in the config resolve against its folder. Keys (default):\n");
    int width = CloudConfig.KEYS.stream().mapToInt(k -> k.name().length()).max().orElse(20);
    for (CloudConfig.Key k : CloudConfig.KEYS) {
      b.append("  ").append(String.format("%-" + width + "s", k.name()))
          .append("  ").append(String.format("%-19s", k.defaultValue().isEmpty() ? "(empty)" : k.defaultValue()))
          .append(k.meaning()).append('\n');
    }
    b.append("\nExit codes: 0 stopped cleanly, 1 start-up failed, 2 configuration error.\n");
    return b.toString();
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage() == null ? t : t.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
