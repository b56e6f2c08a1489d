package io.edgesync.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fleet and its processes for one test class: a CA made with the real provisioning
 * CLI, a cloud-ingest with its embedded Kafka broker, and edge nodes, each a child JVM
 * on free loopback ports. Data lives under {@code dir}, so processes can be stopped,
 * killed and started again on the same data.
 */
final class Stack implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  final Path dir;
  final Path logs;
  final Path fleet;
  final int kafkaPort = Ports.free();
  final int kafkaControllerPort = Ports.free();
  final int ingestPort = Ports.free();
  final int cloudHttpPort = Ports.free();
  private ChildProcess cloud;
  private final List<ChildProcess> processes = new ArrayList<>();

  private final String owner = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
      .getCallerClass().getSimpleName();

  Stack(Path dir) throws Exception {
    this.dir = dir;
    this.logs = dir.resolve("logs");
    this.fleet = dir.resolve("fleet");
    provision("init-ca", "--dir", fleet.toString());
    provision("server-cert", "--dir", fleet.toString(), "--host", "localhost,127.0.0.1", "--out",
        dir.resolve("cloud").toString());
  }

  static Path root() {
    return Path.of(System.getProperty("edgesync.root", "..")).toAbsolutePath().normalize();
  }

  static Path jar(String module) {
    Path jar = root().resolve(module).resolve("target").resolve(module + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run `mvn -B verify` from the repo root (it packages before system-tests)");
    }
    return jar;
  }

  /** Runs the provisioning CLI and fails the test with its output unless it exits 0. */
  void provision(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaBin(), "-jar", jar("provisioning").toString()));
    cmd.addAll(List.of(args));
    try (ChildProcess p = ChildProcess.start("provisioning-" + args[0] + "-" + System.nanoTime(), cmd, logs, null, Map.of())) {
      int code = p.waitFor(Duration.ofSeconds(60));
      if (code != 0) {
        throw new AssertionError("provisioning " + String.join(" ", args) + " exited " + code + ":\n" + p.tail(20));
      }
    }
  }

  /** Runs the provisioning CLI, fails the test unless it exits 0, and returns its output (stdout and stderr). */
  String provisionOutput(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaBin(), "-XX:TieredStopAtLevel=1", "-jar",
        jar("provisioning").toString()));
    cmd.addAll(List.of(args));
    try (ChildProcess p = ChildProcess.start("provisioning-" + args[0] + "-" + System.nanoTime(), cmd, logs, null,
        Map.of())) {
      int code = p.waitFor(Duration.ofSeconds(60));
      if (code != 0) {
        throw new AssertionError("provisioning " + String.join(" ", args) + " exited " + code + ":\n" + p.tail(20));
      }
      return String.join("\n", p.lines());
    }
  }

  /** Runs the provisioning CLI and returns its exit code. */
  int provisionExitCode(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaBin(), "-XX:TieredStopAtLevel=1", "-jar",
        jar("provisioning").toString()));
    cmd.addAll(List.of(args));
    try (ChildProcess p = ChildProcess.start("provisioning-" + args[0] + "-" + System.nanoTime(), cmd, logs, null,
        Map.of())) {
      return p.waitFor(Duration.ofSeconds(60));
    }
  }

  /**
   * Starts several edge nodes in ONE child JVM ({@link EdgeFleetMain}), each with its own
   * arguments, and waits until all are ready.
   */
  ChildProcess startEdgeFleet(String name, List<List<String>> nodeArgs, String maxHeap) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaBin(), "-Xmx" + maxHeap, "-XX:+UseSerialGC",
        "-cp", jar("edge-node") + java.io.File.pathSeparator + root().resolve("system-tests/target/test-classes"),
        EdgeFleetMain.class.getName()));
    for (int i = 0; i < nodeArgs.size(); i++) {
      if (i > 0) {
        cmd.add("::");
      }
      cmd.addAll(nodeArgs.get(i));
    }
    ChildProcess fleetProcess = ChildProcess.start(name, cmd, logs, null, Map.of());
    processes.add(fleetProcess);
    fleetProcess.awaitLine("edge fleet ready", START_TIMEOUT);
    return fleetProcess;
  }

  /** Enrols {@code nodeId} and returns its bundle folder (with edge.yaml). */
  Path enrol(String nodeId) throws Exception {
    Path out = dir.resolve(nodeId);
    provision("enrol", "--dir", fleet.toString(), "--node-id", nodeId, "--cloud", "localhost:" + ingestPort,
        "--out", out.toString());
    return out;
  }

  String bootstrap() {
    return "localhost:" + kafkaPort;
  }

  /**
   * Starts cloud-ingest and waits until it is ready: with its embedded Kafka on this
   * stack's ports, or on {@code externalBootstrap} when not null.
   */
  ChildProcess startCloud() throws IOException {
    return startCloud(null);
  }

  ChildProcess startCloud(String externalBootstrap) throws IOException {
    return startCloud(externalBootstrap, List.of());
  }

  /** Starts cloud-ingest with the embedded broker and extra {@code --set key=value} overrides. */
  ChildProcess startCloudWith(String... extraSets) throws IOException {
    return startCloud(null, List.of(extraSets));
  }

  private ChildProcess startCloud(String externalBootstrap, List<String> extraSets) throws IOException {
    List<String> args = new ArrayList<>(List.of(
        "--config", dir.resolve("cloud/cloud.yaml").toString(),
        "--set", "ingest.port=" + ingestPort,
        "--set", "http.port=" + cloudHttpPort,
        "--set", "kafka.partitions=3"));
    if (externalBootstrap != null) {
      args.addAll(List.of("--set", "kafka.bootstrap=" + externalBootstrap));
    } else {
      args.addAll(List.of("--set", "kafka.embeddedPort=" + kafkaPort,
          "--set", "kafka.embeddedControllerPort=" + kafkaControllerPort));
    }
    for (String set : extraSets) {
      args.addAll(List.of("--set", set));
    }
    cloud = ChildProcess.java("cloud-ingest-" + processes.size(), jar("cloud-ingest"), logs, args);
    processes.add(cloud);
    cloud.awaitLine("cloud-ingest ready", START_TIMEOUT);
    return cloud;
  }

  ChildProcess cloud() {
    return cloud;
  }

  /**
   * Starts one instance of a multi-instance cloud tier on its own ports against an external Kafka
   * and waits until it is ready (it joined the group and its shards' writers are ready).
   */
  ChildProcess startCloudInstance(String name, int ingestPort, int httpPort, String bootstrap, String... extraSets)
      throws IOException {
    List<String> args = new ArrayList<>(List.of(
        "--config", dir.resolve("cloud/cloud.yaml").toString(),
        "--set", "ingest.port=" + ingestPort,
        "--set", "http.port=" + httpPort,
        "--set", "data.dir=" + dir.resolve("cloud-" + name),
        "--set", "kafka.bootstrap=" + bootstrap));
    for (String set : extraSets) {
      args.addAll(List.of("--set", set));
    }
    ChildProcess p = ChildProcess.java("cloud-ingest-" + name + "-" + processes.size(), jar("cloud-ingest"), logs, args);
    processes.add(p);
    p.awaitLine("cloud-ingest ready", START_TIMEOUT);
    return p;
  }

  /**
   * A started edge node with its bound ports and what it takes to start it again: its JVM options,
   * environment additions and arguments.
   */
  record Edge(ChildProcess process, int mqttPort, int httpPort, Path bundle, List<String> jvm,
      Map<String, String> env, List<String> args) {}

  /** Starts the edge of an enrolled bundle on free ports and waits until it is ready. */
  Edge startEdge(Path bundle, String... extraSets) throws IOException {
    return startEdge(bundle, ChildProcess.TEST_JVM, Map.of(), Ports.free(), Ports.free(), extraSets);
  }

  /**
   * Starts the edge of an enrolled bundle as its systemd unit does ({@code edge-node.service}
   * in the bundle): with the unit's {@code JAVA_OPTS} and its other {@code Environment=}
   * settings ({@code MALLOC_ARENA_MAX}), so the test runs the heap and memory bounds that ship.
   */
  Edge startEdgeAsInstalled(Path bundle, String... extraSets) throws IOException {
    Map<String, String> env = new LinkedHashMap<>(unitEnvironment(bundle));
    String javaOpts = env.remove("JAVA_OPTS");
    if (javaOpts == null) {
      throw new IllegalStateException("no JAVA_OPTS in " + bundle.resolve("edge-node.service"));
    }
    return startEdge(bundle, List.of(javaOpts.strip().split("\\s+")), env, Ports.free(), Ports.free(), extraSets);
  }

  /** The {@code Environment=NAME=value} settings of the bundle's systemd unit (quotes removed). */
  static Map<String, String> unitEnvironment(Path bundle) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(bundle.resolve("edge-node.service"))) {
      if (line.startsWith("Environment=")) {
        String setting = line.substring("Environment=".length());
        if (setting.length() >= 2 && setting.startsWith("\"") && setting.endsWith("\"")) {
          setting = setting.substring(1, setting.length() - 1);
        }
        int eq = setting.indexOf('=');
        env.put(setting.substring(0, eq), setting.substring(eq + 1));
      }
    }
    return env;
  }

  /** Starts the edge again (after a stop or a SIGKILL) on the same ports, data and JVM options. */
  Edge restartEdge(Edge previous) throws IOException {
    ChildProcess edge = ChildProcess.java("edge-" + previous.bundle().getFileName() + "-" + processes.size(),
        previous.jvm(), previous.env(), jar("edge-node"), logs, previous.args());
    processes.add(edge);
    awaitReady(edge);
    return new Edge(edge, previous.mqttPort(), previous.httpPort(), previous.bundle(), previous.jvm(),
        previous.env(), previous.args());
  }

  /**
   * Waits for the edge's ready line on stdout ({@code EdgeMain}'s contract: a line starting with
   * "edge-node ready:"), not for the log line that announces it a moment earlier: a test that
   * reads the ready line right after the start must find it.
   */
  private static void awaitReady(ChildProcess edge) {
    edge.awaitLine(l -> l.startsWith("edge-node ready:"), "edge-node ready", START_TIMEOUT);
  }

  private Edge startEdge(Path bundle, List<String> jvm, Map<String, String> env, int mqtt, int http,
      String... extraSets) throws IOException {
    List<String> args = new ArrayList<>(List.of(
        "--config", bundle.resolve("edge.yaml").toString(),
        "--set", "mqtt.port=" + mqtt,
        "--set", "mqtt.tlsPort=0",
        "--set", "http.port=" + http));
    for (String s : extraSets) {
      args.add("--set");
      args.add(s);
    }
    ChildProcess edge = ChildProcess.java("edge-" + bundle.getFileName() + "-" + processes.size(), jvm, env,
        jar("edge-node"), logs, args);
    processes.add(edge);
    awaitReady(edge);
    return new Edge(edge, mqtt, http, bundle, List.copyOf(jvm), Map.copyOf(env), List.copyOf(args));
  }

  @Override
  public void close() {
    // edges first, then the cloud: the reverse of the start order
    for (int i = processes.size() - 1; i >= 0; i--) {
      ChildProcess p = processes.get(i);
      if (p.isAlive()) {
        try {
          p.stop(Duration.ofSeconds(20));
        } catch (AssertionError e) {
          System.err.println(e.getMessage());
        }
      }
    }
    keepLogs();
  }

  /**
   * Copies the child processes' logs to {@code target/child-logs/<test class>/}: the
   * temporary directory is deleted after the class, and a failure in CI is diagnosed
   * from these files.
   */
  private void keepLogs() {
    Path target = Path.of("target", "child-logs", owner);
    try (var files = Files.list(logs)) {
      Files.createDirectories(target);
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      System.err.println("could not keep the child logs in " + target + ": " + e);
    }
  }
}
