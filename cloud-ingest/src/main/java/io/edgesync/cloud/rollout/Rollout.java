package io.edgesync.cloud.rollout;

import io.edgesync.cloud.ingest.IngestError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The latest rollout of one group, immutable: the state machine's state. Transitions return a new
 * instance ({@link #start}, {@link #promote}, {@link #rollback}, {@link #report}); none does I/O.
 *
 * <pre>
 *  start --shadow--> SHADOW --promote--> CANARY --promote--> PROMOTED --rollback--> ROLLED_BACK
 *  start ----------------------------->  CANARY
 *  SHADOW / CANARY --a canary reports "failed" for its desired config--> HALTED --rollback--> ROLLED_BACK
 * </pre>
 *
 * What each node should run ({@link #desiredFor}): canaries get the new version (active, or in
 * shadow beside the previous one in SHADOW), the other nodes keep the previous version until
 * PROMOTED; HALTED keeps what each node had when it halted (the failed canary keeps its old rules,
 * the others never get the new ones); ROLLED_BACK sends every node the previous version.
 *
 * @param group           the group (as enrolled: {@code enrol --group})
 * @param id              1 for the group's first rollout, then +1
 * @param stage           where it stands
 * @param haltedIn        the stage it halted in (SHADOW or CANARY), null unless HALTED or rolled back after a halt
 * @param version         the new rules' version (first 12 hex of their SHA-256, as the edge computes it)
 * @param rules           the new rules (YAML text)
 * @param shadow          whether it started with a shadow stage
 * @param previousVersion what the group ran before, null = each node's own rules file
 * @param previousRules   its text, null with a null version
 * @param nodes           the group's nodes, sorted
 * @param canary          the canary nodes: the first {@code canarySize} of {@code nodes}
 * @param haltedNode      the canary whose failure halted it, or null
 * @param haltedError     that node's error line, or null
 * @param createdAtMs     when it started (epoch ms)
 * @param updatedAtMs     last transition (epoch ms)
 */
public record Rollout(String group, long id, Stage stage, Stage haltedIn, String version, String rules, boolean shadow,
    String previousVersion, String previousRules, List<String> nodes, List<String> canary, String haltedNode,
    String haltedError, long createdAtMs, long updatedAtMs) {
  /** Largest rules text, in UTF-8 bytes (a record keeps the new and the previous text). */
  public static final int MAX_RULES_BYTES = 128 * 1024;
  /** Most nodes in one group's rollout (keeps a record well under Kafka's 1 MB message limit). */
  public static final int MAX_NODES = 2000;

  public Rollout {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(stage, "stage");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(rules, "rules");
    // sorted, so that membership is a binary search (a status of 2000 nodes stays cheap on an event loop)
    nodes = nodes.stream().sorted().toList();
    canary = canary.stream().sorted().toList();
    if ((previousVersion == null) != (previousRules == null)) {
      throw new IllegalArgumentException("previousVersion and previousRules go together");
    }
  }

  /** The version the edge computes for a rules file: first 12 hex digits of the SHA-256 of its bytes. */
  public static String versionOf(String rules) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(rules.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Canary size for {@code spec}: {@code N%} (rounded up, at least 1) or a count, at most the group size.
   *
   * @throws IngestError 400 for a malformed or out-of-range value
   */
  public static int canarySize(String spec, int groupSize) {
    String s = spec == null ? "" : spec.trim();
    try {
      if (s.endsWith("%")) {
        double pct = Double.parseDouble(s.substring(0, s.length() - 1).trim());
        if (!(pct > 0 && pct <= 100)) {
          throw new IngestError(400, "BAD_REQUEST", "canary must be in (0%, 100%] (got " + spec + ")");
        }
        // 10% of 10 nodes is 1 canary, not 2: 10 * 10 / 100 may come out as 1.0000000000000002
        return (int) Math.max(1, Math.ceil(groupSize * pct / 100.0 - 1e-9));
      }
      int n = Integer.parseInt(s);
      if (n < 1 || n > groupSize) {
        throw new IngestError(400, "BAD_REQUEST", "canary must be 1.." + groupSize + " nodes (got " + spec
            + ")");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IngestError(400, "BAD_REQUEST", "canary must be a percentage like 10% or a node count (got "
          + spec + ")");
    }
  }

  /**
   * A new rollout of {@code rules} to {@code nodes} of {@code group}, after {@code latest} (the
   * group's previous rollout, or null).
   *
   * @throws IngestError 409 when {@code latest} is still in progress or halted, 400 for bad input
   */
  public static Rollout start(Rollout latest, String group, List<String> nodes, String rules, String canarySpec,
      boolean shadow, long nowMs) {
    if (latest != null && latest.stage.inProgress()) {
      throw new IngestError(409, "CONFLICT", "rollout " + latest.id + " of group " + group + " is "
          + latest.stage.label() + (latest.stage == Stage.HALTED ? "; roll it back first" : "; promote or roll it back first"));
    }
    if (rules == null || rules.isBlank()) {
      throw new IngestError(400, "BAD_REQUEST", "rules must not be empty");
    }
    if (rules.getBytes(StandardCharsets.UTF_8).length > MAX_RULES_BYTES) {
      throw new IngestError(400, "BAD_REQUEST", "rules above " + MAX_RULES_BYTES + " bytes");
    }
    Set<String> sorted = new TreeSet<>(nodes);
    if (sorted.isEmpty()) {
      throw new IngestError(400, "BAD_REQUEST", "group " + group + " has no nodes");
    }
    if (sorted.size() > MAX_NODES) {
      throw new IngestError(400, "BAD_REQUEST", "at most " + MAX_NODES + " nodes per group (got "
          + sorted.size() + ")");
    }
    List<String> all = new ArrayList<>(sorted);
    int k = canarySize(canarySpec, all.size());
    String prevVersion = latest == null ? null : latest.runningVersion();
    String prevRules = latest == null ? null : latest.runningRules();
    String version = versionOf(rules);
    if (version.equals(prevVersion)) {
      throw new IngestError(409, "CONFLICT", "group " + group + " already runs version " + version);
    }
    return new Rollout(group, latest == null ? 1 : latest.id + 1, shadow ? Stage.SHADOW : Stage.CANARY, null,
        version, rules, shadow, prevVersion, prevRules, all, all.subList(0, k), null, null, nowMs, nowMs);
  }

  /** SHADOW → CANARY, CANARY → PROMOTED. @throws IngestError 409 in any other stage */
  public Rollout promote(long nowMs) {
    Stage next = switch (stage) {
      case SHADOW -> Stage.CANARY;
      case CANARY -> Stage.PROMOTED;
      default -> throw new IngestError(409, "CONFLICT", "rollout " + id + " of group " + group + " is "
          + stage.label() + ": nothing to promote");
    };
    return with(next, haltedIn, haltedNode, haltedError, nowMs);
  }

  /** Any stage but ROLLED_BACK → ROLLED_BACK. @throws IngestError 409 when already rolled back */
  public Rollout rollback(long nowMs) {
    if (stage == Stage.ROLLED_BACK) {
      throw new IngestError(409, "CONFLICT", "rollout " + id + " of group " + group + " is already rolled back");
    }
    return with(Stage.ROLLED_BACK, haltedIn, haltedNode, haltedError, nowMs);
  }

  /**
   * The rollout after {@code report}: HALTED when a canary failed to apply what it should run in
   * SHADOW or CANARY, else this rollout unchanged.
   */
  public Rollout report(NodeReport report, long nowMs) {
    boolean canaryStage = stage == Stage.SHADOW || stage == Stage.CANARY;
    if (canaryStage && report.failed() && isCanary(report.node())
        && desiredFor(report.node()).id().equals(report.desiredId())) {
      return with(Stage.HALTED, stage, report.node(), report.error(), nowMs);
    }
    return this;
  }

  private Rollout with(Stage next, Stage halted, String node, String error, long nowMs) {
    return new Rollout(group, id, next, halted, version, rules, shadow, previousVersion, previousRules, nodes, canary,
        node, error, createdAtMs, nowMs);
  }

  /** The version the group runs once this rollout settles: the new one when promoted, else the previous. */
  public String runningVersion() {
    return stage == Stage.PROMOTED ? version : previousVersion;
  }

  private String runningRules() {
    return stage == Stage.PROMOTED ? rules : previousRules;
  }

  /** Whether {@code node} is one of this rollout's nodes. */
  public boolean hasNode(String node) {
    return Collections.binarySearch(nodes, node) >= 0;
  }

  /** Whether {@code node} is a canary. */
  public boolean isCanary(String node) {
    return Collections.binarySearch(canary, node) >= 0;
  }

  /** What {@code node} should run, or null when it is not in this rollout. */
  public Desired desiredFor(String node) {
    if (!hasNode(node)) {
      return null;
    }
    Stage effective = stage == Stage.HALTED ? haltedIn : stage;
    boolean isCanary = isCanary(node);
    Desired previous = new Desired(group, id, previousVersion, previousRules, null, null);
    Desired next = new Desired(group, id, version, rules, null, null);
    return switch (effective) {
      case SHADOW -> isCanary ? new Desired(group, id, previousVersion, previousRules, version, rules) : previous;
      case CANARY -> isCanary ? next : previous;
      case PROMOTED -> next;
      default -> previous;
    };
  }

  // ------------------------------------------------------------------ JSON (the edge.config record value)

  public JsonObject toJson() {
    return new JsonObject()
        .put("group", group).put("id", id).put("stage", stage.label())
        .put("haltedIn", haltedIn == null ? null : haltedIn.label())
        .put("version", version).put("rules", rules).put("shadow", shadow)
        .put("previousVersion", previousVersion).put("previousRules", previousRules)
        .put("nodes", new JsonArray(new ArrayList<>(nodes))).put("canary", new JsonArray(new ArrayList<>(canary)))
        .put("haltedNode", haltedNode).put("haltedError", haltedError)
        .put("createdAtMs", createdAtMs).put("updatedAtMs", updatedAtMs);
  }

  /** @throws RuntimeException (ClassCastException, NullPointerException, IllegalArgumentException) when malformed */
  public static Rollout fromJson(JsonObject o) {
    String halted = o.getString("haltedIn");
    return new Rollout(o.getString("group"), o.getLong("id"), Stage.parse(o.getString("stage")),
        halted == null ? null : Stage.parse(halted), o.getString("version"), o.getString("rules"),
        o.getBoolean("shadow", false), o.getString("previousVersion"), o.getString("previousRules"),
        strings(o.getJsonArray("nodes")), strings(o.getJsonArray("canary")), o.getString("haltedNode"),
        o.getString("haltedError"), o.getLong("createdAtMs", 0L), o.getLong("updatedAtMs", 0L));
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      out.add(a.getString(i));
    }
    return out;
  }
}
