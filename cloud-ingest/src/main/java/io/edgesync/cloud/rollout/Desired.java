package io.edgesync.cloud.rollout;

import io.vertx.core.json.JsonObject;

/**
 * What one node should run: the active rules (null version = the node's own {@code rules.file})
 * and optional shadow rules. {@link #id()} names it on the wire; the node reports the id it
 * handled.
 *
 * @param group         the node's group
 * @param rollout       the rollout this comes from
 * @param activeVersion the active rules' version, or null for the node's local rules file
 * @param activeRules   the active rules' YAML text, null with a null version
 * @param shadowVersion the shadow rules' version, or null for no shadow rules
 * @param shadowRules   the shadow rules' YAML text, null with a null version
 */
public record Desired(String group, long rollout, String activeVersion, String activeRules, String shadowVersion,
    String shadowRules) {
  /** The version name of "the node's own rules file". */
  public static final String LOCAL = "local";

  /** {@code group/rollout/active+shadow}, e.g. {@code lab/3/3f2a9c1d0b4e+-}. */
  public String id() {
    return group + "/" + rollout + "/" + (activeVersion == null ? LOCAL : activeVersion) + "+"
        + (shadowVersion == null ? "-" : shadowVersion);
  }

  /** The {@code GET /v1/config} body (docs/PROTOCOL.md). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id())
        .put("group", group)
        .put("rollout", rollout)
        .put("active", activeVersion == null ? new JsonObject().put("source", LOCAL)
            : new JsonObject().put("source", "cloud").put("version", activeVersion).put("rules", activeRules))
        .put("shadow", shadowVersion == null ? null
            : new JsonObject().put("version", shadowVersion).put("rules", shadowRules));
  }
}
