package io.edgesync.provisioning.testing;

import io.edgesync.provisioning.cli.ProvisioningMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the CLI in-process through picocli's {@code CommandLine.execute}, capturing stdout and stderr. */
public final class Cli {
  private Cli() {}

  /** One run's exit code and output. */
  public record Result(int code, String out, String err) {
    /** stderr split into non-empty lines. */
    public List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  public static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ProvisioningMain.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs and fails the test unless the exit code is 0. */
  public static Result ok(String... args) {
    Result r = run(args);
    if (r.code() != 0) {
      throw new AssertionError("expected success of " + String.join(" ", args) + "\n" + r);
    }
    return r;
  }

  /** A fleet with a CA, a cloud bundle for localhost and 127.0.0.1, and the given nodes enrolled. */
  public static Fleet fleet(Path root, String... nodeIds) {
    Path fleet = root.resolve("fleet");
    ok("init-ca", "--dir", fleet.toString());
    Path cloud = root.resolve("cloud");
    ok("server-cert", "--dir", fleet.toString(), "--host", "localhost,127.0.0.1", "--out", cloud.toString());
    List<Path> nodes = new ArrayList<>();
    for (String id : nodeIds) {
      Path out = root.resolve("node-" + id);
      ok("enrol", "--dir", fleet.toString(), "--node-id", id, "--cloud", "localhost:9443", "--out", out.toString());
      nodes.add(out);
    }
    return new Fleet(fleet, cloud, List.copyOf(nodes));
  }

  /**
   * Folders of a test fleet.
   *
   * @param dir   the fleet folder
   * @param cloud the server-cert bundle
   * @param nodes the enrol bundles, in argument order
   */
  public record Fleet(Path dir, Path cloud, List<Path> nodes) {}
}
