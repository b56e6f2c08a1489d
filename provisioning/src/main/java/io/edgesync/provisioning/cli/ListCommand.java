package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.fleet.NodeRecord;
import io.edgesync.provisioning.fleet.NodeRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code list --dir FLEET [--json]}: the enrolled nodes. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = {"List the enrolled nodes.", "",
        "Prints id, group, certificate serial, expiry and revoked flag of every node, as a table or, "
        + "with --json, as a JSON array."})
final class ListCommand implements Callable<Integer> {
  private static final String[] HEADER = {"NODE", "GROUP", "SERIAL", "NOT AFTER", "REVOKED"};

  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder made by init-ca.")
  Path dir;

  @Option(names = "--json", description = "Print a JSON array (the nodes.json entries) instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    List<NodeRecord> nodes = FleetStore.open(dir).registry().all();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(NodeRegistry.pretty(NodeRegistry.toJsonArray(nodes)));
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(HEADER);
      for (NodeRecord n : nodes) {
        rows.add(new String[] {n.id(), n.group() == null ? "-" : n.group(), n.serial(), n.notAfter().toString(),
            n.revoked() ? "yes" : "no"});
      }
      int[] width = new int[HEADER.length];
      rows.forEach(r -> {
        for (int i = 0; i < r.length; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      });
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
          line.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
        }
        out.println(line);
      }
    }
    out.flush();
    return 0;
  }
}
