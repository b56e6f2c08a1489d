package io.edgesync.system;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real Kafka broker as a child process (see {@link BrokerMain}), on fixed loopback ports
 * and a fixed data folder, so that it can be stopped, killed and started again as the same
 * broker.
 */
final class KafkaBroker implements AutoCloseable {
  private final Path dataDir;
  private final Path logs;
  private final int port = Ports.free();
  private final int controllerPort = Ports.free();
  private ChildProcess process;
  private int starts;

  KafkaBroker(Path dataDir, Path logs) {
    this.dataDir = dataDir;
    this.logs = logs;
  }

  String bootstrap() {
    return "localhost:" + port;
  }

  void start() throws IOException {
    String testClasses;
    try {
      testClasses = Path.of(BrokerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    String cp = Stack.jar("cloud-ingest") + java.io.File.pathSeparator + testClasses;
    process = ChildProcess.start("kafka-broker-" + (++starts), List.of(ChildProcess.javaBin(), "-Xmx512m", "-cp", cp,
        BrokerMain.class.getName(), dataDir.toString(), Integer.toString(port), Integer.toString(controllerPort)),
        logs, null, Map.of());
    process.awaitLine("broker ready", Stack.START_TIMEOUT);
  }

  /** SIGTERM and wait: a clean broker restart's first half. */
  void stop() {
    process.stop(Duration.ofSeconds(60));
  }

  void kill() {
    process.kill();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      try {
        process.stop(Duration.ofSeconds(30));
      } catch (AssertionError e) {
        System.err.println(e.getMessage());
      }
    }
  }
}
