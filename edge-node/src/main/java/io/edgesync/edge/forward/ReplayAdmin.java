package io.edgesync.edge.forward;

import io.edgesync.model.Priority;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * {@code POST /admin/replay?class=normal&from=A&to=B} on the status server: re-forwards the
 * committed class-sequence range [A, B] still retained in the log
 * ({@link BatchForwarder#replay}). 200 {@code {class, from, to, replayed, written, duplicates}};
 * 400 bad parameters; 404 range not retained; 409 range not committed yet; 503 no forwarder;
 * 502 the cloud refused. Runs on the status event loop; the work runs on the forwarder.
 */
public final class ReplayAdmin {
  private static final long MAX_RANGE = 10_000_000;
  private final Supplier<BatchForwarder> forwarder;

  public ReplayAdmin(Supplier<BatchForwarder> forwarder) {
    this.forwarder = forwarder;
  }

  public void handle(HttpServerRequest req) {
    if (req.method() != HttpMethod.POST) {
      json(req, 405, new JsonObject().put("error", "METHOD_NOT_ALLOWED").put("allow", "POST"));
      return;
    }
    Priority c;
    long from;
    long to;
    try {
      c = Priority.parse(param(req, "class"));
      from = Long.parseLong(param(req, "from"));
      to = Long.parseLong(param(req, "to"));
      if (from < 1 || to < from || to - from >= MAX_RANGE) {
        throw new IllegalArgumentException("need 1 <= from <= to and at most " + MAX_RANGE + " events (got " + from
            + ".." + to + ")");
      }
    } catch (IllegalArgumentException e) {
      json(req, 400, new JsonObject().put("error", "BAD_REQUEST").put("message", e.getMessage()));
      return;
    }
    BatchForwarder f = forwarder.get();
    if (f == null) {
      json(req, 503, new JsonObject().put("error", "NO_FORWARDER").put("message", "no cloud.endpoints"));
      return;
    }
    f.replay(c, from, to).onComplete(ar -> {
      if (ar.succeeded()) {
        BatchForwarder.ReplayResult r = ar.result();
        json(req, 200, new JsonObject().put("class", r.priority().label()).put("from", r.from()).put("to", r.to())
            .put("replayed", r.replayed()).put("written", r.written()).put("duplicates", r.duplicates()));
      } else if (ar.cause() instanceof BatchForwarder.NotRetainedException e) {
        json(req, 404, new JsonObject().put("error", "NOT_RETAINED").put("message", e.getMessage()));
      } else if (ar.cause() instanceof BatchForwarder.NotCommittedException e) {
        json(req, 409, new JsonObject().put("error", "NOT_COMMITTED").put("message", e.getMessage()));
      } else {
        json(req, 502, new JsonObject().put("error", "REPLAY_FAILED").put("message", String.valueOf(ar.cause()
            .getMessage())));
      }
    });
  }

  private static String param(HttpServerRequest req, String name) {
    String v = req.getParam(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing query parameter " + name);
    }
    return v.trim();
  }

  private static void json(HttpServerRequest req, int code, JsonObject body) {
    req.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(body.encodePrettily());
  }
}
