package io.edgesync.edge.heartbeat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What the heartbeat does with the cloud's desired config (docs/PROTOCOL.md, "Config pull"): it
 * sends {@link #report()} in every heartbeat, and when the reply's {@code config.id} is one the
 * receiver {@link #wants}, it fetches {@code GET /v1/config} and hands the body to {@link #apply}.
 * Called on the heartbeat's context; implementations must not block.
 */
public interface DesiredConfigReceiver {
  /** The {@code config} object of the heartbeat: what the node runs and the outcome of the last apply. */
  JsonObject report();

  /** Whether the desired config {@code id} should be fetched (not handled yet, nothing in progress). */
  boolean wants(String id);

  /** Applies a {@code GET /v1/config} body; completes when it is applied or has failed (and is reported). */
  Future<Void> apply(JsonObject desired);
}
