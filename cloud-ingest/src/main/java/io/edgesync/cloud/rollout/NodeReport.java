package io.edgesync.cloud.rollout;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * What a node last said about its desired config (the {@code config} object of its heartbeat).
 *
 * @param node          the node id (certificate CN)
 * @param desiredId     the {@link Desired#id()} it handled, or null when it never had one
 * @param result        {@code applied} or {@code failed}
 * @param error         the one-line error of a failed apply, else null
 * @param activeVersion the version of the active rules it runs ({@code local} = its own file)
 * @param shadowVersion the version of its shadow rules, or null
 * @param atMs          when the cloud received the report (epoch ms)
 */
public record NodeReport(String node, String desiredId, String result, String error, String activeVersion,
    String shadowVersion, long atMs) {
  public static final String APPLIED = "applied";
  public static final String FAILED = "failed";
  /** Longest error kept (one line). */
  static final int MAX_ERROR_CHARS = 1000;

  public NodeReport {
    Objects.requireNonNull(node, "node");
    if (error != null && error.length() > MAX_ERROR_CHARS) {
      error = error.substring(0, MAX_ERROR_CHARS);
    }
  }

  public boolean failed() {
    return FAILED.equals(result);
  }

  /** Same content (ignores the time): nothing new to record. */
  public boolean sameAs(NodeReport o) {
    return o != null && Objects.equals(desiredId, o.desiredId) && Objects.equals(result, o.result)
        && Objects.equals(error, o.error) && Objects.equals(activeVersion, o.activeVersion)
        && Objects.equals(shadowVersion, o.shadowVersion);
  }

  /**
   * The report in a heartbeat's {@code config} object, or null when it has none or it is malformed.
   */
  public static NodeReport fromHeartbeat(String node, JsonObject hbConfig, long nowMs) {
    if (hbConfig == null) {
      return null;
    }
    String result = str(hbConfig, "result");
    if (!APPLIED.equals(result) && !FAILED.equals(result)) {
      return null;
    }
    return new NodeReport(node, str(hbConfig, "id"), result, str(hbConfig, "error"), str(hbConfig, "active"),
        str(hbConfig, "shadow"), nowMs);
  }

  public JsonObject toJson() {
    return new JsonObject().put("node", node).put("id", desiredId).put("result", result).put("error", error)
        .put("active", activeVersion).put("shadow", shadowVersion).put("atMs", atMs);
  }

  public static NodeReport fromJson(JsonObject o) {
    return new NodeReport(o.getString("node"), o.getString("id"), o.getString("result"), o.getString("error"),
        o.getString("active"), o.getString("shadow"), o.getLong("atMs", 0L));
  }

  private static String str(JsonObject o, String key) {
    return o.getValue(key) instanceof String s ? s : null;
  }
}
