package io.edgesync.system;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A product process (a shaded jar, or a script) run as a child of the test JVM. Its
 * stdout and stderr are merged, copied to a log file and kept in memory so that tests can
 * wait for a line ("... ready ...") with a deadline. {@link #kill()} is SIGKILL,
 * {@link #stop()} is SIGTERM and waits.
 */
final class ChildProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Path logFile;
  private final Thread pump;

  private ChildProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    this.pump = new Thread(this::pump, "pump-" + name);
    this.pump.setDaemon(true);
    this.pump.start();
  }

  /** The JVM options of {@link #java(String, Path, Path, List)}: a small heap. */
  static final List<String> TEST_JVM = List.of("-Xmx384m", "-XX:+UseSerialGC");

  /** Starts {@code java -jar jar args...} with a small heap. */
  static ChildProcess java(String name, Path jar, Path logDir, List<String> args) throws IOException {
    return java(name, TEST_JVM, java.util.Map.of(), jar, logDir, args);
  }

  /** Starts {@code java jvmOptions... -jar jar args...} with {@code env} added to the environment. */
  static ChildProcess java(String name, List<String> jvmOptions, java.util.Map<String, String> env, Path jar,
      Path logDir, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(args);
    return start(name, cmd, logDir, null, env);
  }

  static ChildProcess start(String name, List<String> cmd, Path logDir, Path workDir,
      java.util.Map<String, String> env) throws IOException {
    Files.createDirectories(logDir);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    return new ChildProcess(name, pb.start(), logDir.resolve(name + ".log"));
  }

  static String javaBin() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         Writer w = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
        w.write(line);
        w.write('\n');
        w.flush();
      }
    } catch (IOException ignored) {
      // the process went away; what was read is kept
    }
  }

  /** Waits for a line containing {@code text}; fails with the log tail if the process dies or time runs out. */
  String awaitLine(String text, Duration timeout) {
    return awaitLine(l -> l.contains(text), text, timeout);
  }

  String awaitLine(Predicate<String> match, String what, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    while (System.nanoTime() < deadline) {
      for (; seen < lines.size(); seen++) {
        if (match.test(lines.get(seen))) {
          return lines.get(seen);
        }
      }
      if (!process.isAlive() && seen >= lines.size()) {
        try {
          pump.join(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (seen >= lines.size()) {
          throw new AssertionError(name + " exited (code " + process.exitValue() + ") before printing '" + what
              + "'. Log tail:\n" + tail(40));
        }
        continue;
      }
      pause(50);
    }
    throw new AssertionError(name + " did not print '" + what + "' within " + timeout + ". Log tail:\n" + tail(40));
  }

  /** The first integer after {@code key=} in {@code line}. */
  static int intAfter(String line, String key) {
    Matcher m = Pattern.compile(Pattern.quote(key) + "=(\\d+)").matcher(line);
    if (!m.find()) {
      throw new AssertionError("no " + key + "= in: " + line);
    }
    return Integer.parseInt(m.group(1));
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  String tail(int n) {
    List<String> all = lines();
    return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** SIGKILL, and wait for the process to be gone. */
  void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    waitGone(Duration.ofSeconds(10));
  }

  /** SIGTERM; waits up to {@code timeout} and returns the exit code (SIGKILL after the timeout). */
  int stop(Duration timeout) {
    // ProcessHandle.destroy sends SIGTERM only; Process.destroy would also close our end of
    // the child's stdout, and a child that logs while stopping would die of SIGPIPE
    process.toHandle().destroy();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        throw new AssertionError(name + " did not stop within " + timeout + " of SIGTERM. Log tail:\n" + tail(30));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still running after " + timeout + ". Log tail:\n" + tail(30));
    }
    return process.exitValue();
  }

  private void waitGone(Duration timeout) {
    try {
      process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
