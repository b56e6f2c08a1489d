package io.edgesync.edge.rollout;

import io.edgesync.edge.heartbeat.DesiredConfigReceiver;
import io.edgesync.edge.rules.LocalRules;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of cloud rollouts: applies the desired config pulled over the mTLS channel
 * ({@code GET /v1/config}) through {@link LocalRules#applyManaged} (atomic: all or nothing, the
 * hot-reload swap) and reports the outcome in every heartbeat:
 * {@code {"id","result":"applied|failed","error","active","shadow","at"}}.
 *
 * <p>The outcome is persisted in {@code {data.dir}/managed/state.json} (the rules themselves in
 * {@code rules.yaml} / {@code shadow.yaml} next to it), so a restarted node runs and reports the
 * same. A desired config whose versions the node already runs is acknowledged without a reload.
 * A failed config is not retried until the cloud names a new one.
 *
 * <p>Threads: {@link #report}, {@link #wants} and {@link #apply} on the heartbeat's context; file
 * I/O on a worker; the fields are volatile and written only by the one apply in progress.
 */
public final class ManagedConfig implements DesiredConfigReceiver {
  static final String STATE = "state.json";
  private static final Logger LOG = LoggerFactory.getLogger(ManagedConfig.class);
  /** Longest error line reported. */
  private static final int MAX_ERROR_CHARS = 1000;

  private final Vertx vertx;
  private final LocalRules rules;
  private final Path dir;
  private final String nodeId;
  private final Clock clock;
  private final Counter applied;
  private final Counter failed;
  private volatile JsonObject state = new JsonObject();
  private volatile boolean busy;

  public ManagedConfig(Vertx vertx, LocalRules rules, Path dir, String nodeId, MeterRegistry registry, Clock clock) {
    this.vertx = vertx;
    this.rules = Objects.requireNonNull(rules, "rules");
    this.dir = dir;
    this.nodeId = nodeId;
    this.clock = clock;
    this.applied = Counter.builder("edge.config.applies").tag("result", "applied")
        .description("desired configs from the cloud by outcome: applied, failed").register(registry);
    this.failed = Counter.builder("edge.config.applies").tag("result", "failed")
        .description("desired configs from the cloud by outcome: applied, failed").register(registry);
  }

  /** Reads the persisted outcome of the last apply (worker). Call once before the heartbeat starts. */
  public Future<Void> load() {
    return vertx.executeBlocking(() -> {
      Path f = dir.resolve(STATE);
      if (Files.isRegularFile(f)) {
        try {
          state = new JsonObject(Files.readString(f, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
          LOG.warn("[node-id: {}] {} unreadable, starting without a rollout state: {}", nodeId, f, e.toString());
        }
      }
      return null;
    });
  }

  @Override
  public JsonObject report() {
    JsonObject s = state;
    JsonObject out = new JsonObject()
        .put("id", s.getValue("id"))
        .put("result", s.getValue("result"))
        .put("error", s.getValue("error"))
        .put("active", rules.runsManagedRules() ? rules.engine().activeSet().version() : "local");
    var shadow = rules.engine().shadowSet();
    return out.put("shadow", shadow == null ? null : shadow.version()).put("at", s.getValue("at"));
  }

  /** The {@code config} part of /status. */
  public JsonObject status() {
    return report().put("source", rules.runsManagedRules() ? "cloud" : "file").put("dir", dir.toString());
  }

  @Override
  public boolean wants(String id) {
    return id != null && !busy && !id.equals(state.getValue("id"));
  }

  @Override
  public Future<Void> apply(JsonObject desired) {
    String id;
    String activeRules;
    String activeVersion;
    String shadowRules;
    String shadowVersion;
    try {
      id = desired.getString("id");
      JsonObject active = desired.getJsonObject("active", new JsonObject());
      JsonObject shadow = desired.getJsonObject("shadow");
      activeRules = "cloud".equals(active.getString("source")) ? active.getString("rules") : null;
      activeVersion = activeRules == null ? null : active.getString("version");
      shadowRules = shadow == null ? null : shadow.getString("rules");
      shadowVersion = shadow == null ? null : shadow.getString("version");
    } catch (ClassCastException e) {
      return Future.failedFuture(new IllegalArgumentException("malformed desired config: " + e.getMessage()));
    }
    if (id == null) {
      return Future.failedFuture(new IllegalArgumentException("desired config without an id"));
    }
    busy = true;
    Future<?> swap;
    if (alreadyRuns(activeVersion, shadowVersion)) {
      swap = Future.succeededFuture();
    } else {
      LOG.info("[node-id: {}] applying desired config {}", nodeId, id);
      swap = rules.applyManaged(activeRules, shadowRules);
    }
    return swap.transform(ar -> {
      JsonObject next = new JsonObject().put("id", id).put("at", Instant.ofEpochMilli(clock.millis()).toString());
      if (ar.succeeded()) {
        applied.increment();
        next.put("result", "applied");
      } else {
        failed.increment();
        String error = oneLine(ar.cause());
        next.put("result", "failed").put("error", error);
        LOG.warn("[node-id: {}] desired config {} rejected, keeping the running rules: {}", nodeId, id, error);
      }
      return persist(next);
    }).eventually(() -> {
      busy = false;
      return Future.succeededFuture();
    });
  }

  /** Whether the rules running now are exactly the desired versions (no reload needed). */
  private boolean alreadyRuns(String activeVersion, String shadowVersion) {
    var shadow = rules.engine().shadowSet();
    String runningShadow = shadow == null ? null : shadow.version();
    boolean sameActive = activeVersion == null ? !rules.runsManagedRules()
        : rules.runsManagedRules() && activeVersion.equals(rules.engine().activeSet().version());
    return sameActive && Objects.equals(shadowVersion, runningShadow);
  }

  private Future<Void> persist(JsonObject next) {
    return vertx.executeBlocking(() -> {
      Files.createDirectories(dir);
      Path tmp = dir.resolve(STATE + ".tmp");
      Files.writeString(tmp, next.encodePrettily(), StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(STATE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return null;
    }).<Void>mapEmpty().recover(e -> {
      LOG.warn("[node-id: {}] {} not written: {}", nodeId, dir.resolve(STATE), e.toString());
      return Future.succeededFuture();
    }).onComplete(ar -> state = next);
  }

  private static String oneLine(Throwable t) {
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    return line.length() > MAX_ERROR_CHARS ? line.substring(0, MAX_ERROR_CHARS) : line;
  }
}
