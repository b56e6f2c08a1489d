package io.edgesync.provisioning.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgesync.config.HostPort;
import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.fleet.NodeRecord;
import io.edgesync.provisioning.rollout.OperatorClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code rollout --dir FLEET --cloud HOST:PORT --group G --file RULES.yaml [--canary 10%] [--shadow]}
 * and its subcommands {@code status}, {@code promote}, {@code rollback}: staged rule rollouts
 * through cloud-ingest's operator API (docs/PROVISIONING.md). The group's nodes are the
 * non-revoked nodes enrolled with {@code --group G} in FLEET/nodes.json.
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
    description = {"Roll out a rules file to a group of nodes in stages: canary first, then everyone.", "",
        "Sends the rules and the group's nodes (FLEET/nodes.json, not revoked) to cloud-ingest over mTLS with an "
        + "operator certificate minted from the fleet CA (valid 1 hour, never written). The canary nodes (the "
        + "first ones by node id) get the new rules first; with --shadow they first run them in shadow beside "
        + "their active rules. A canary that fails to apply them halts the rollout. Then: 'rollout status', "
        + "'rollout promote', 'rollout rollback'."},
    subcommands = {RolloutCommand.Status.class, RolloutCommand.Promote.class, RolloutCommand.Rollback.class},
    commandListHeading = "%nCommands:%n")
final class RolloutCommand implements Callable<Integer> {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Largest rules file sent (the cloud's limit). */
  static final int MAX_RULES_BYTES = 128 * 1024;

  @Spec
  CommandSpec spec;

  @Mixin
  Target target;

  @Option(names = "--group", paramLabel = "G", converter = Options.GroupConverter.class,
      description = "Group to roll out to (as enrolled with --group).")
  String group;

  @Option(names = "--file", paramLabel = "RULES.yaml", description = "The new rules file (UTF-8, at most 128 KiB).")
  Path file;

  @Option(names = "--canary", defaultValue = "10%", paramLabel = "N%|N",
      description = "Canary size: a percentage of the group, rounded up (at least 1), or a node count (default ${DEFAULT-VALUE}).")
  String canary;

  @Option(names = "--shadow", description = "Start with a shadow stage: the canaries run the new rules in shadow "
      + "(fires counted, no actions) and 'status' compares their fire counts; 'promote' then activates them.")
  boolean shadow;

  @Override
  public Integer call() throws IOException {
    CommandLine cl = spec.commandLine();
    if (group == null || file == null) {
      throw new CommandLine.ParameterException(cl, "missing --group or --file (or a command: status, promote, rollback)");
    }
    if (!canary.matches("\\d+(\\.\\d+)?%|\\d+")) {
      throw new CommandLine.ParameterException(cl, "--canary must be a percentage like 10% or a node count (got "
          + canary + ")");
    }
    String rules = readRules(file);
    FleetStore fleet = target.fleet(cl, null);
    List<String> nodes = new ArrayList<>();
    for (NodeRecord n : fleet.registry().all()) {
      if (group.equals(n.group()) && !n.revoked()) {
        nodes.add(n.id());
      }
    }
    if (nodes.isEmpty()) {
      throw new ProvisioningException("no enrolled, unrevoked node in group " + group + " (enrol --group " + group
          + ")");
    }
    ObjectNode body = JSON.createObjectNode().put("group", group).put("rules", rules).put("canary", canary)
        .put("shadow", shadow);
    ArrayNode list = body.putArray("nodes");
    nodes.forEach(list::add);
    JsonNode status = target.client(cl, null, fleet).post("/v1/rollouts", body);
    PrintWriter out = cl.getOut();
    out.println("rollout " + status.path("rollout").asLong() + " of group " + group + ": version "
        + status.path("version").asText() + " (previous " + status.path("previousVersion").asText() + "), stage "
        + status.path("stage").asText() + ", canary " + join(status.path("canary")) + " (" + status.path("canary").size()
        + " of " + nodes.size() + " nodes)");
    out.println("next: rollout status --group " + group + ", then rollout promote --group " + group
        + " (or rollout rollback --group " + group + ")");
    out.flush();
    return 0;
  }

  private static String readRules(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new ProvisioningException("no rules file " + file);
    }
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length > MAX_RULES_BYTES) {
      throw new ProvisioningException(file + " is " + bytes.length + " bytes; at most " + MAX_RULES_BYTES);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ProvisioningException(file + " is not UTF-8 text");
    }
  }

  static String join(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return String.join(",", out);
  }

  /** {@code --dir}, {@code --cloud}, {@code --operator}: where the fleet CA is and which cloud to ask. */
  static final class Target {
    @Option(names = "--dir", paramLabel = "FLEET", description = "Fleet folder made by init-ca (its CA signs the "
        + "operator certificate).")
    Path dir;

    @Option(names = "--cloud", paramLabel = "HOST:PORT", converter = Options.HostPortConverter.class,
        description = "cloud-ingest's mTLS endpoint (default localhost:9443); a name in its server certificate.")
    HostPort cloud;

    @Option(names = "--operator", paramLabel = "NAME", converter = Options.GroupConverter.class,
        description = "Operator name in the certificate (CN operator:NAME) and the cloud's log (default: the OS user).")
    String operator;

    FleetStore fleet(CommandLine cl, Target parent) {
      Path d = dir != null ? dir : parent == null ? null : parent.dir;
      if (d == null) {
        throw new CommandLine.ParameterException(cl, "missing --dir FLEET");
      }
      return FleetStore.open(d);
    }

    OperatorClient client(CommandLine cl, Target parent, FleetStore fleet) {
      HostPort c = cloud != null ? cloud : parent != null && parent.cloud != null ? parent.cloud
          : HostPort.parse("localhost:9443");
      String op = operator != null ? operator : parent != null && parent.operator != null ? parent.operator
          : defaultOperator();
      return OperatorClient.connect(fleet, c, op);
    }

    private static String defaultOperator() {
      String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "");
      return user.isEmpty() || !Character.isLetterOrDigit(user.charAt(0)) ? "operator"
          : user.substring(0, Math.min(64, user.length()));
    }
  }

  /** Shared by the subcommands: target and group, falling back to the parent's options. */
  abstract static class Sub implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    RolloutCommand parent;

    @Mixin
    Target target;

    @Option(names = "--group", paramLabel = "G", converter = Options.GroupConverter.class,
        description = "The group; may be left out when exactly one group has a rollout.")
    String group;

    OperatorClient client() {
      CommandLine cl = spec.commandLine();
      return target.client(cl, parent.target, target.fleet(cl, parent.target));
    }

    /** The group named, or the only group with a rollout. */
    String group(OperatorClient client) {
      String g = group != null ? group : parent.group;
      if (g != null) {
        return g;
      }
      JsonNode all = client.get("/v1/rollouts").path("rollouts");
      if (all.size() == 1) {
        return all.get(0).path("group").asText();
      }
      List<String> groups = new ArrayList<>();
      all.forEach(r -> groups.add(r.path("group").asText()));
      throw new ProvisioningException(groups.isEmpty() ? "no rollout yet"
          : "several groups have rollouts (" + String.join(", ", groups) + "): name one with --group");
    }

    void printSummary(JsonNode s) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("rollout " + s.path("rollout").asLong() + " of group " + s.path("group").asText() + ": "
          + s.path("stage").asText() + (!s.path("haltedIn").isTextual() ? ""
              : "halted".equals(s.path("stage").asText()) ? " (in " + s.path("haltedIn").asText() + ")"
              : " (after halting in " + s.path("haltedIn").asText() + ")")
          + ", version " + s.path("version").asText() + ", previous " + s.path("previousVersion").asText());
      out.flush();
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"Show a rollout: stage, the halting node and its error, and each node's desired and running "
          + "version, with the canaries' active and shadow fire counts in a shadow stage.", "",
          "Without --group: every group's rollout."})
  static final class Status extends Sub {
    @Option(names = "--json", description = "Print the cloud's JSON document.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      OperatorClient client = client();
      String g = group != null ? group : parent.group;
      List<JsonNode> docs = new ArrayList<>();
      if (g != null) {
        docs.add(client.get("/v1/rollouts/" + g));
      } else {
        client.get("/v1/rollouts").path("rollouts").forEach(docs::add);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
            g != null ? docs.get(0) : JSON.valueToTree(docs)));
        out.flush();
        return 0;
      }
      if (docs.isEmpty()) {
        out.println("no rollout yet");
      }
      for (JsonNode s : docs) {
        printSummary(s);
        JsonNode halted = s.path("halted");
        if (halted.isObject()) {
          out.println("halted by " + halted.path("node").asText() + ": " + halted.path("error").asText());
        }
        JsonNode c = s.path("counts");
        out.println("nodes " + c.path("nodes").asInt() + ": applied " + c.path("applied").asInt() + ", failed "
            + c.path("failed").asInt() + ", pending " + c.path("pending").asInt() + "; canary " + join(s.path("canary")));
        out.println(String.format("%-24s %-6s %-8s %-27s %-13s %s", "NODE", "CANARY", "STATE", "DESIRED (ACTIVE+SHADOW)",
            "RUNNING", "ERROR / FIRES"));
        for (JsonNode n : s.path("nodes")) {
          JsonNode d = n.path("desired");
          String desired = d.path("active").asText() + "+" + (d.path("shadow").isTextual() ? d.path("shadow").asText() : "-");
          String extra = n.path("error").isTextual() ? n.path("error").asText() : "";
          JsonNode f = n.path("fires");
          if (f.isObject()) {
            extra = "fires active " + f.path("activeTotal").asLong() + " " + f.path("active") + " / shadow "
                + f.path("shadowTotal").asLong() + " " + f.path("shadow");
          }
          out.println(String.format("%-24s %-6s %-8s %-27s %-13s %s", n.path("node").asText(),
              n.path("canary").asBoolean() ? "yes" : "no", n.path("state").asText(), desired,
              n.path("running").isTextual() ? n.path("running").asText() : "-", extra));
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = {"Move a rollout one stage on: shadow -> canary (the canaries activate the new rules), "
          + "canary -> promoted (every node of the group gets them). Refused when halted."})
  static final class Promote extends Sub {
    @Override
    public Integer call() {
      OperatorClient client = client();
      printSummary(client.post("/v1/rollouts/" + group(client) + "/promote", null));
      return 0;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = {"Send every node of the group the previous version again (for a group's first rollout: "
          + "each node's own rules.file). Works in any stage, halted included."})
  static final class Rollback extends Sub {
    @Override
    public Integer call() {
      OperatorClient client = client();
      printSummary(client.post("/v1/rollouts/" + group(client) + "/rollback", null));
      return 0;
    }
  }
}
