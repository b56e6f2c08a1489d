package io.edgesync.cloud.rollout;

import io.edgesync.cloud.ingest.IngestError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollouts of rules to groups of nodes, on the mTLS ingest port (docs/CLOUD.md, docs/PROTOCOL.md):
 * <ul>
 *   <li>operators (certificate CN {@code operator:NAME}): {@code GET/POST /v1/rollouts},
 *       {@code GET /v1/rollouts/{group}}, {@code POST /v1/rollouts/{group}/promote|rollback};</li>
 *   <li>nodes: {@code GET /v1/config} (their desired config), the {@code config} hint in the
 *       heartbeat reply ({@link #onHeartbeat}), and their report in the heartbeat, which halts a
 *       rollout when a canary failed to apply.</li>
 * </ul>
 * State lives in {@link ConfigLog} (Kafka {@code edge.config}); this class holds none but a
 * per-node "report being written" marker. Threads: every method runs on an ingest event loop and
 * never blocks (changes go to the config log's thread).
 */
public final class RolloutService {
  /** Largest operator request body. */
  static final int MAX_BODY_BYTES = 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(RolloutService.class);
  private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern NODE = GROUP;

  private final ConfigLog log;
  private final LongSupplier clock;
  private final Function<String, JsonObject> lastHeartbeat;
  private final Map<String, NodeReport> writing = new ConcurrentHashMap<>();
  private final Map<String, Counter> actions = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Counter pullsOk;
  private final Counter pullsNone;

  /**
   * @param lastHeartbeat the last heartbeat this instance received from a node (for fire counts), or null
   */
  public RolloutService(ConfigLog log, LongSupplier clock, Function<String, JsonObject> lastHeartbeat,
      MeterRegistry registry) {
    this.log = log;
    this.clock = clock;
    this.lastHeartbeat = lastHeartbeat;
    this.registry = registry;
    for (String a : List.of("start", "promote", "rollback", "halt")) {
      action(a);
    }
    pullsOk = Counter.builder("cloud_config_pulls").tag("result", "ok")
        .description("GET /v1/config by result: ok (a desired config was served), none (the node is in no rollout)")
        .register(registry);
    pullsNone = Counter.builder("cloud_config_pulls").tag("result", "none")
        .description("GET /v1/config by result: ok (a desired config was served), none (the node is in no rollout)")
        .register(registry);
    for (Stage s : Stage.values()) {
      Gauge.builder("cloud_rollouts", log, l -> l.rollouts().stream().filter(r -> r.stage() == s).count())
          .tag("stage", s.label()).description("groups whose latest rollout is in this stage").register(registry);
    }
  }

  private Counter action(String a) {
    return actions.computeIfAbsent(a, x -> Counter.builder("cloud_rollout_transitions").tag("action", x)
        .description("rollout transitions written to edge.config: start, promote, rollback, halt")
        .register(registry));
  }

  // ------------------------------------------------------------------ node side

  /**
   * A node's heartbeat arrived (already authenticated): records its config report when it changed
   * (halting its group's rollout when a canary failed) and returns the hint for the reply,
   * {@code {"id","rollout"}} of what the node should run, or null when it is in no rollout.
   */
  public JsonObject onHeartbeat(String node, JsonObject hb) {
    String group = log.groupOf(node);
    Rollout r = group == null ? null : log.rollout(group);
    Desired d = r == null ? null : r.desiredFor(node);
    if (d == null) {
      return null;
    }
    NodeReport report = NodeReport.fromHeartbeat(node, hb.getValue("config") instanceof JsonObject c ? c : null,
        clock.getAsLong());
    if (report != null && !report.sameAs(log.report(node)) && !report.sameAs(writing.get(node))) {
      writing.put(node, report);
      log.update(l -> recordReport(l, group, report))
          .onComplete(ar -> {
            writing.remove(node, report);
            if (ar.failed()) {
              LOG.warn("[node-id: {}] config report not recorded: {}", node, ar.cause().toString());
            }
          });
    }
    return new JsonObject().put("id", d.id()).put("rollout", d.rollout());
  }

  /** On the config log's thread: the report, and the halted rollout when it halts it. */
  private ConfigLog.Write<Void> recordReport(ConfigLog l, String group, NodeReport report) {
    if (report.sameAs(l.report(report.node()))) {
      return new ConfigLog.Write<>(List.of(), List.of(), null);
    }
    Rollout r = l.rollout(group);
    Rollout next = r == null ? null : r.report(report, clock.getAsLong());
    if (next != null && next != r) {
      action("halt").increment();
      LOG.warn("rollout {} of group {} HALTED: canary {} failed to apply version {}: {}", r.id(), group,
          report.node(), r.version(), report.error());
      return new ConfigLog.Write<>(List.of(next), List.of(report), null);
    }
    return new ConfigLog.Write<>(List.of(), List.of(report), null);
  }

  /** {@code GET /v1/config}: 200 with the node's {@link Desired}, 204 when it is in no rollout. */
  public void getConfig(HttpServerRequest req, String node) {
    String group = log.groupOf(node);
    Rollout r = group == null ? null : log.rollout(group);
    Desired d = r == null ? null : r.desiredFor(node);
    if (d == null) {
      pullsNone.increment();
      req.response().setStatusCode(204).end();
      return;
    }
    pullsOk.increment();
    reply(req, 200, d.toJson());
  }

  // ------------------------------------------------------------------ operator side

  /** Routes an operator request under {@code /v1/rollouts}. */
  public void handleOperator(HttpServerRequest req, String operator) {
    String path = req.path();
    String rest = path.length() > "/v1/rollouts".length() ? path.substring("/v1/rollouts/".length()) : "";
    String[] parts = rest.isEmpty() ? new String[0] : rest.split("/", -1);
    HttpMethod m = req.method();
    Future<JsonObject> result;
    int okStatus = 200;
    if (parts.length == 0 && m == HttpMethod.GET) {
      result = Future.succeededFuture(all());
    } else if (parts.length == 0 && m == HttpMethod.POST) {
      okStatus = 201;
      result = body(req).compose(b -> start(b, operator));
    } else if (parts.length == 1 && m == HttpMethod.GET) {
      result = group(parts[0]).map(this::status);
    } else if (parts.length == 2 && m == HttpMethod.POST && "promote".equals(parts[1])) {
      result = group(parts[0]).compose(g -> change(g, operator, "promote", r -> r.promote(clock.getAsLong())));
    } else if (parts.length == 2 && m == HttpMethod.POST && "rollback".equals(parts[1])) {
      result = group(parts[0]).compose(g -> change(g, operator, "rollback", r -> r.rollback(clock.getAsLong())));
    } else {
      result = Future.failedFuture(new IngestError(404, "NOT_FOUND", "no such endpoint " + m + " " + path));
    }
    int status = okStatus;
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        reply(req, status, ar.result());
      } else if (ar.cause() instanceof IngestError e) {
        reply(req, e.status(), new JsonObject().put("error", e.code()).put("message", e.getMessage()));
      } else {
        LOG.error("rollout request {} {} failed", m, path, ar.cause());
        reply(req, 500, new JsonObject().put("error", "INTERNAL").put("message", String.valueOf(ar.cause())));
      }
    });
  }

  private Future<String> group(String g) {
    if (!GROUP.matcher(g).matches()) {
      return Future.failedFuture(new IngestError(400, "BAD_REQUEST", "invalid group " + g));
    }
    if (log.rollout(g) == null) {
      return Future.failedFuture(new IngestError(404, "NOT_FOUND", "group " + g + " has no rollout"));
    }
    return Future.succeededFuture(g);
  }

  private Future<JsonObject> start(JsonObject b, String operator) {
    String group = b.getValue("group") instanceof String s ? s : null;
    if (group == null || !GROUP.matcher(group).matches()) {
      return Future.failedFuture(new IngestError(400, "BAD_REQUEST", "group missing or invalid: " + group));
    }
    if (!(b.getValue("nodes") instanceof JsonArray arr)) {
      return Future.failedFuture(new IngestError(400, "BAD_REQUEST", "nodes must be a list of node ids"));
    }
    List<String> nodes = new ArrayList<>();
    for (Object o : arr) {
      if (!(o instanceof String n) || !NODE.matcher(n).matches()) {
        return Future.failedFuture(new IngestError(400, "BAD_REQUEST", "invalid node id in nodes: " + o));
      }
      nodes.add(n);
    }
    String rules = b.getValue("rules") instanceof String s ? s : null;
    String canary = b.getValue("canary") instanceof String s ? s : String.valueOf(b.getValue("canary", "10%"));
    boolean shadow = Boolean.TRUE.equals(b.getValue("shadow"));
    return log.<Rollout>update(l -> {
      Rollout latest = l.rollout(group);
      if (latest == null && l.rollouts().size() >= ConfigLog.MAX_GROUPS) {
        throw new IngestError(409, "CONFLICT", "at most " + ConfigLog.MAX_GROUPS + " groups have rollouts");
      }
      for (String n : nodes) {
        String other = l.groupOf(n);
        Rollout theirs = other == null || other.equals(group) ? null : l.rollout(other);
        if (theirs != null && theirs.stage().inProgress()) {
          // a node may move to another group (re-enrolled), but not in the middle of a rollout there
          throw new IngestError(409, "CONFLICT", "node " + n + " is in group " + other + "'s rollout "
              + theirs.id() + ", which is " + theirs.stage().label());
        }
      }
      Rollout r = Rollout.start(latest, group, nodes, rules, canary, shadow, clock.getAsLong());
      return new ConfigLog.Write<>(List.of(r), List.of(), r);
    }).map(r -> {
      action("start").increment();
      LOG.info("rollout {} of group {} started by {}: version {} ({}), canary {} of {} nodes: {}", r.id(), group,
          operator, r.version(), r.stage().label(), r.canary().size(), r.nodes().size(), r.canary());
      return status(r.group());
    });
  }

  private Future<JsonObject> change(String group, String operator, String what, Function<Rollout, Rollout> step) {
    return log.<Rollout>update(l -> {
      Rollout r = step.apply(Objects.requireNonNull(l.rollout(group)));
      return new ConfigLog.Write<>(List.of(r), List.of(), r);
    }).map(r -> {
      action(what).increment();
      LOG.info("rollout {} of group {}: {} by {}, now {}", r.id(), group, what, operator, r.stage().label());
      return status(group);
    });
  }

  // ------------------------------------------------------------------ status

  private JsonObject all() {
    JsonArray out = new JsonArray();
    log.rollouts().stream().sorted(Comparator.comparing(Rollout::group)).forEach(r -> out.add(status(r.group())));
    return new JsonObject().put("rollouts", out);
  }

  /** The status document of {@code group}'s rollout (docs/CLOUD.md). */
  public JsonObject status(String group) {
    Rollout r = log.rollout(group);
    JsonArray nodes = new JsonArray();
    int applied = 0;
    int failed = 0;
    int pending = 0;
    for (String n : r.nodes()) {
      Desired d = r.desiredFor(n);
      NodeReport rep = log.report(n);
      String state;
      if (rep != null && d.id().equals(rep.desiredId())) {
        state = rep.result();
      } else {
        state = "pending";
      }
      switch (state) {
        case NodeReport.APPLIED -> applied++;
        case NodeReport.FAILED -> failed++;
        default -> pending++;
      }
      boolean canary = r.isCanary(n);
      JsonObject node = new JsonObject().put("node", n).put("canary", canary).put("state", state)
          .put("desired", new JsonObject().put("id", d.id())
              .put("active", d.activeVersion() == null ? Desired.LOCAL : d.activeVersion())
              .put("shadow", d.shadowVersion()))
          .put("running", rep == null ? null : rep.activeVersion())
          .put("runningShadow", rep == null ? null : rep.shadowVersion())
          .put("error", rep != null && rep.failed() ? rep.error() : null)
          .put("reportedAt", rep == null ? null : Instant.ofEpochMilli(rep.atMs()).toString());
      if (canary && d.shadowVersion() != null) {
        node.put("fires", fires(n));
      }
      nodes.add(node);
    }
    return new JsonObject()
        .put("group", r.group()).put("rollout", r.id()).put("stage", r.stage().label())
        .put("haltedIn", r.haltedIn() == null ? null : r.haltedIn().label())
        .put("version", r.version()).put("previousVersion", r.previousVersion() == null ? Desired.LOCAL
            : r.previousVersion())
        .put("shadow", r.shadow()).put("canary", new JsonArray(new ArrayList<>(r.canary())))
        .put("halted", r.haltedNode() == null ? null
            : new JsonObject().put("node", r.haltedNode()).put("error", r.haltedError()))
        .put("counts", new JsonObject().put("nodes", r.nodes().size()).put("applied", applied).put("failed", failed)
            .put("pending", pending))
        .put("createdAt", Instant.ofEpochMilli(r.createdAtMs()).toString())
        .put("updatedAt", Instant.ofEpochMilli(r.updatedAtMs()).toString())
        .put("nodes", nodes);
  }

  /** Active and shadow fire counts from the node's last heartbeat to this instance (null when none). */
  private JsonObject fires(String node) {
    JsonObject hb = lastHeartbeat == null ? null : lastHeartbeat.apply(node);
    JsonObject rules = hb != null && hb.getValue("rules") instanceof JsonObject o ? o : null;
    if (rules == null) {
      return null;
    }
    JsonObject active = rules.getValue("fires") instanceof JsonObject a ? a : new JsonObject();
    JsonObject shadow = rules.getValue("shadowFires") instanceof JsonObject s ? s : new JsonObject();
    return new JsonObject().put("active", active).put("shadow", shadow)
        .put("activeTotal", total(active)).put("shadowTotal", total(shadow));
  }

  private static long total(JsonObject fires) {
    long t = 0;
    for (Object v : fires.getMap().values()) {
      t += v instanceof Number n ? n.longValue() : 0;
    }
    return t;
  }

  // ------------------------------------------------------------------ HTTP helpers

  private static Future<JsonObject> body(HttpServerRequest req) {
    Promise<JsonObject> p = Promise.promise();
    Buffer buf = Buffer.buffer(4096);
    req.handler(chunk -> {
      if (buf.length() + chunk.length() > MAX_BODY_BYTES) {
        p.tryFail(new IngestError(413, "TOO_LARGE", "request body above " + MAX_BODY_BYTES + " bytes"));
      } else if (!p.future().isComplete()) {
        buf.appendBuffer(chunk);
      }
    });
    req.exceptionHandler(p::tryFail);
    req.endHandler(v -> {
      try {
        p.tryComplete(buf.toJsonObject());
      } catch (RuntimeException e) {
        p.tryFail(new IngestError(400, "BAD_REQUEST", "not a JSON object: " + e.getMessage()));
      }
    });
    return p.future();
  }

  private static void reply(HttpServerRequest req, int status, JsonObject body) {
    if (req.response().ended() || req.response().closed()) {
      return;
    }
    req.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.toBuffer());
  }
}
