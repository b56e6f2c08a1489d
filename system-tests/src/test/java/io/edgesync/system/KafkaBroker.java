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
  private final int port;
  private final int controllerPort;
  /** Extra arguments of a cluster member (node id, voters, cluster id, replication); empty alone. */
  private final List<String> member;
  private ChildProcess process;
  private int starts;

  KafkaBroker(Path dataDir, Path logs) {
    this(dataDir, logs, Ports.free(), Ports.free(), List.of());
  }

  /** One node of a {@link KafkaCluster}. */
  KafkaBroker(Path dataDir, Path logs, int port, int controllerPort, List<String> member) {
    this.dataDir = dataDir;
    this.logs = logs;
    this.port = port;
    this.controllerPort = controllerPort;
    this.member = member;
  }

  String bootstrap() {
    return "localhost:" + port;
  }

  void start() throws IOException {
    launch();
    awaitReady();
  }

  /** Starts the process without waiting: the nodes of a cluster must start together to elect a leader. */
  void launch() throws IOException {
    String testClasses;
    try {
      testClasses = Path.of(BrokerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    String cp = Stack.jar("cloud-ingest") + java.io.File.pathSeparator + testClasses;
    List<String> cmd = new java.util.ArrayList<>(List.of(ChildProcess.javaBin(), "-Xmx512m", "-cp", cp,
        BrokerMain.class.getName(), dataDir.toString(), Integer.toString(port), Integer.toString(controllerPort)));
    cmd.addAll(member);
    process = ChildProcess.start("kafka-broker-" + dataDir.getFileName() + "-" + (++starts), cmd, logs, null, Map.of());
  }

  void awaitReady() {
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
