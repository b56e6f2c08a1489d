package io.edgesync.edge.rules;

import io.edgesync.edge.log.AppendResult;
import io.edgesync.edge.log.AuxStore;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.IngestHook;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's local rules and validation, plugged into the MQTT ingest as its
 * {@link IngestHook}: evaluates each event ({@link RuleEngine}, on the event loop), raises
 * alerts once their trigger is durable (local MQTT publish on {@code alerts/{ruleId}} and an
 * ALERT envelope in the log), keeps dead letters (DEAD_LETTER envelope in the log and a copy
 * in the {@code dlq} store), hot-reloads the rules files, and snapshots rule state to the
 * {@code state} store. docs/RULES.md describes the behaviour.
 *
 * <p>Threads: {@link #onEvent} on MQTT event loops; file reads, CEL compilation and every
 * RocksDB access on the {@code edge-rules} worker pool; timers on the context that called
 * {@link #start()}.
 */
public final class LocalRules implements IngestHook {
  private static final Logger LOG = LoggerFactory.getLogger(LocalRules.class);
  private static final int WORKERS = 2;

  private final Vertx vertx;
  private final RulesConfig config;
  private final String nodeId;
  private final EventLog log;
  private final LocalPublisher publisher;
  private final MeterRegistry registry;
  private final Clock clock;
  private final RuleEngine engine;
  private final WorkerExecutor worker;
  private final AuxStore dlq;
  private final AuxStore state;
  private final DeadLetters deadLetters;

  private final FileWatch activeWatch;
  private final FileWatch shadowWatch;
  private final AtomicBoolean polling = new AtomicBoolean();
  private final AtomicBoolean snapshotting = new AtomicBoolean();
  private final Counter alertsRaised;
  private final Counter alertsFailed;
  private final Counter snapshots;
  /** Where rolled-out rules are kept ({@code rules.yaml}, {@code shadow.yaml}); null = not managed. */
  private volatile Path managedDir;
  /** Serialises file reloads and managed applies (worker threads). */
  private final Object swapLock = new Object();
  private long reloadTimer = -1;
  private long snapshotTimer = -1;
  private Future<Void> stopped;

  /**
   * @param publisher where alerts go locally ({@code mqtt::publishLocal}); called once the
   *                  trigger is durable, on the trigger's event loop
   */
  public LocalRules(Vertx vertx, RulesConfig config, String nodeId, EventLog log, LocalPublisher publisher,
      MeterRegistry registry, Clock clock) {
    this.vertx = vertx;
    this.config = Objects.requireNonNull(config, "config");
    this.nodeId = Objects.requireNonNull(nodeId, "nodeId");
    this.log = log;
    this.publisher = publisher;
    this.registry = registry;
    this.clock = clock;
    this.engine = new RuleEngine(registry);
    this.worker = vertx.createSharedWorkerExecutor("edge-rules", WORKERS);
    this.dlq = log.store("dlq");
    this.state = log.store("state");
    this.deadLetters = new DeadLetters(worker, dlq, log, engine, registry);
    this.activeWatch = new FileWatch(config.file(), "active", registry);
    this.shadowWatch = new FileWatch(config.shadowFile(), "shadow", registry);
    this.alertsRaised = Counter.builder("edge.rule.alerts").description("alerts published locally and appended")
        .register(registry);
    this.alertsFailed = Counter.builder("edge.rule.alerts.failed")
        .description("alert envelopes that could not be appended to the log (log full or closed)").register(registry);
    this.snapshots = Counter.builder("edge.rule.snapshots").description("rule state snapshots written")
        .register(registry);
  }

  /** The engine (tests, benchmarks, status). */
  public RuleEngine engine() {
    return engine;
  }

  /** Dead-letter listing and re-drive. */
  public DeadLetters deadLetters() {
    return deadLetters;
  }

  /** The file name of managed active rules in the managed folder. */
  public static final String MANAGED_ACTIVE = "rules.yaml";
  /** The file name of managed shadow rules in the managed folder. */
  public static final String MANAGED_SHADOW = "shadow.yaml";

  /**
   * Accepts rules rolled out from the cloud ({@link #applyManaged}), kept in {@code dir}; rules
   * found there at {@link #start()} replace {@code rules.file} / {@code rules.shadowFile}. Call
   * before start.
   */
  public LocalRules managedDir(Path dir) {
    this.managedDir = dir;
    return this;
  }

  /**
   * Loads and compiles the rules files (worker), restores rule state from the {@code state}
   * store, then starts the reload poll and the snapshot timer. Fails with the file's
   * one-line error when a file is invalid.
   */
  public Future<Void> start() {
    return worker.executeBlocking(() -> {
      Path dir = managedDir;
      if (dir != null && Files.isRegularFile(dir.resolve(MANAGED_ACTIVE))) {
        activeWatch.file = dir.resolve(MANAGED_ACTIVE);
        LOG.info("rules: running the rolled-out rules {} instead of rules.file", activeWatch.file);
      }
      if (dir != null && Files.isRegularFile(dir.resolve(MANAGED_SHADOW))) {
        shadowWatch.file = dir.resolve(MANAGED_SHADOW);
      }
      if (activeWatch.file != null) {
        engine.install(activeWatch.load());
      }
      if (shadowWatch.file != null) {
        engine.installShadow(shadowWatch.load());
      }
      int restored = engine.restore(state::get);
      LOG.info("rules: {} active (version {}), {} schemas, {} shadow; state restored for {} rules",
          engine.activeSet().rules().size(), engine.activeSet().version(), engine.activeSet().schemas().size(),
          engine.shadowSet() == null ? 0 : engine.shadowSet().rules().size(), restored);
      return (Void) null;
    }).onSuccess(v -> {
      if (config.enabled() || managedDir != null) {
        reloadTimer = vertx.setPeriodic(config.reloadIntervalMs(), id -> poll());
      }
      snapshotTimer = vertx.setPeriodic(config.snapshotIntervalMs(), id -> snapshotAsync());
    });
  }

  /** Stops the timers and writes a last snapshot (before the log closes). Idempotent. */
  public synchronized Future<Void> stop() {
    if (stopped != null) {
      return stopped;
    }
    if (reloadTimer >= 0) {
      vertx.cancelTimer(reloadTimer);
    }
    if (snapshotTimer >= 0) {
      vertx.cancelTimer(snapshotTimer);
    }
    stopped = worker.executeBlocking(() -> {
      writeSnapshot();
      return (Void) null;
    }).onFailure(t -> LOG.warn("rules: last snapshot failed: {}", t.toString()))
        .eventually(() -> worker.close());
    return stopped;
  }

  // ------------------------------------------------------------- ingest hook

  @Override
  public Outcome onEvent(Event event) {
    RuleEngine.Decision d = engine.evaluate(event);
    Event e = d.event();
    switch (d.verdict()) {
      case DROP -> {
        return Outcome.drop(event.priority());
      }
      case DEAD_LETTER -> {
        byte[] envelope = EnvelopeCodec.encode(e);
        String kind = d.violation().kind();
        return new Outcome(envelope, e.priority(), false, appended -> appended.compose(r -> r.duplicate()
            ? Future.succeededFuture(r) : keepDeadLetter(r.seq(), envelope, kind).map(r)));
      }
      default -> {
        if (d.alerts().isEmpty()) {
          return Outcome.store(e);
        }
        List<RuleEngine.Alert> alerts = d.alerts();
        UnaryOperator<Future<AppendResult>> after = appended -> appended.onSuccess(r -> {
          if (!r.duplicate()) {
            raise(e, r.seq(), alerts);
          }
        });
        return new Outcome(EnvelopeCodec.encode(e), e.priority(), true, after);
      }
    }
  }

  private Future<Long> keepDeadLetter(long seq, byte[] envelope, String reasonKind) {
    byte[] copy = Arrays.copyOf(envelope, envelope.length);
    EnvelopeCodec.patchSequence(copy, seq, EnvelopeCodec.classSeqOf(copy));
    return worker.executeBlocking(() -> {
      dlq.put(DeadLetters.key(seq), copy);
      return seq;
    }, false).onSuccess(s -> deadLetters.counted(reasonKind));
  }

  /** On the trigger's event loop, once it is durable. */
  private void raise(Event trigger, long seq, List<RuleEngine.Alert> alerts) {
    String eventId = trigger.explicitId() != null ? trigger.explicitId() : nodeId + ":" + seq;
    for (RuleEngine.Alert a : alerts) {
      String ruleId = a.rule().id();
      String topic = "alerts/" + ruleId;
      JsonObject body = new JsonObject()
          .put("ruleId", ruleId)
          .put("eventId", eventId)
          .put("source", trigger.source())
          .put("topic", trigger.topic())
          .put("eventTime", trigger.eventTimeMs())
          .put("severity", a.rule().severity())
          .put("firedAt", clock.millis());
      if (a.window() != null) {
        WindowView w = a.window();
        body.put("window", new JsonObject().put("count", w.count()).put("sum", w.sum()).put("min", w.min())
            .put("max", w.max()).put("avg", w.avg()).put("rate", w.rate()));
      }
      body.put("payload", jsonOrNull(trigger.payload()));
      Buffer buf = body.toBuffer();
      publisher.publish(topic, buf);
      byte[] bytes = buf.getBytes();
      Event alert = new Event(0, 0, Priority.CRITICAL, "rule:" + ruleId, topic, eventId, trigger.eventTimeMs(),
          clock.millis(), bytes, EventKind.ALERT, null);
      log.append(EnvelopeCodec.encode(alert)).onComplete(ar -> {
        if (ar.succeeded()) {
          alertsRaised.increment();
        } else {
          alertsFailed.increment();
          LOG.warn("[rule: {}] [event-id: {}] alert not appended to the log: {}", ruleId, eventId,
              ar.cause().toString());
        }
      });
    }
  }

  private static Object jsonOrNull(byte[] payload) {
    if (payload.length == 0 || PayloadJson.parseObject(payload) == null) {
      return null;
    }
    try {
      return new JsonObject(Buffer.buffer(payload));
    } catch (DecodeException e) {
      return null;
    }
  }

  // ------------------------------------------------------------- reload

  /** Polls both files once (worker); a changed file is compiled and swapped or rejected. */
  public Future<Void> poll() {
    if (!polling.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return worker.executeBlocking(() -> {
      synchronized (swapLock) {
        RuleSet a = activeWatch.reloadIfChanged();
        if (a != null) {
          engine.install(a);
          activeWatch.installed(a);
        }
        RuleSet s = shadowWatch.reloadIfChanged();
        if (s != null) {
          engine.installShadow(s);
          shadowWatch.installed(s);
        }
      }
      return (Void) null;
    }).onComplete(ar -> polling.set(false));
  }

  /**
   * Installs rules rolled out from the cloud, atomically: both texts are parsed and compiled
   * first, and only when both are valid are they written to the managed folder (temporary file,
   * fsync, rename) and swapped in, exactly as a hot reload does. On any error nothing changes and
   * the future fails with a {@link RulesFileException} (one line: file, line, rule, error).
   *
   * @param active the active rules' YAML, or null for the node's own {@code rules.file} (none: no rules)
   * @param shadow the shadow rules' YAML, or null for the node's own {@code rules.shadowFile} (none: no shadow)
   * @return the installed active and shadow versions
   * @throws IllegalStateException (failed future) when no managed folder was set
   */
  public Future<Installed> applyManaged(String active, String shadow) {
    Path dir = managedDir;
    if (dir == null) {
      return Future.failedFuture(new IllegalStateException("rules are not managed (rules.managed=false)"));
    }
    return worker.executeBlocking(() -> {
      synchronized (swapLock) {
        Path activeFile = dir.resolve(MANAGED_ACTIVE);
        Path shadowFile = dir.resolve(MANAGED_SHADOW);
        RuleSet a = active != null ? compileText(MANAGED_ACTIVE, active)
            : config.file() == null ? RuleSet.empty() : RuleCompiler.compile(RulesFile.read(config.file()),
                clock.instant());
        RuleSet s = shadow != null ? compileText(MANAGED_SHADOW, shadow)
            : config.shadowFile() == null ? null : RuleCompiler.compile(RulesFile.read(config.shadowFile()),
                clock.instant());
        try {
          Files.createDirectories(dir);
          if (active != null) {
            writeAtomically(activeFile, active);
          } else {
            Files.deleteIfExists(activeFile);
          }
          if (shadow != null) {
            writeAtomically(shadowFile, shadow);
          } else {
            Files.deleteIfExists(shadowFile);
          }
        } catch (IOException e) {
          throw new RulesFileException(dir + ": cannot write the rolled-out rules: " + e);
        }
        engine.install(a);
        activeWatch.adopt(active != null ? activeFile : config.file(), a);
        engine.installShadow(s);
        shadowWatch.adopt(shadow != null ? shadowFile : config.shadowFile(), s);
        LOG.info("rules: rolled-out rules installed: active {} ({}), shadow {}", a.version(),
            active != null ? "cloud" : "rules.file", s == null ? "none" : s.version());
        return new Installed(active == null ? null : a.version(), s == null ? null : s.version());
      }
    });
  }

  /**
   * Versions installed by {@link #applyManaged}.
   *
   * @param active the rolled-out active version, null when the node's own rules file runs
   * @param shadow the shadow version, null without shadow rules
   */
  public record Installed(String active, String shadow) {}

  /** Whether the active rules come from the managed folder (a rollout) rather than {@code rules.file}. */
  public boolean runsManagedRules() {
    Path dir = managedDir;
    Path f = activeWatch.file;
    return dir != null && f != null && f.equals(dir.resolve(MANAGED_ACTIVE));
  }

  private RuleSet compileText(String origin, String text) {
    return RuleCompiler.compile(RulesFile.parse(origin, text.getBytes(StandardCharsets.UTF_8)), clock.instant());
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
        java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** One watched rules file: its last seen (mtime, size), its last error. */
  private final class FileWatch {
    /** The watched file; changes only under swapLock (or before start). */
    volatile Path file;
    private final String role;
    private final Counter ok;
    private final Counter rejected;
    private volatile String loadedStamp = "";
    private volatile String seenStamp = "";
    volatile String lastError;
    volatile Instant lastErrorAt;

    FileWatch(Path file, String role, MeterRegistry registry) {
      this.file = file;
      this.role = role;
      this.ok = Counter.builder("edge.rules.reloads").description("rules file reloads").tag("result", "ok")
          .tag("set", role).register(registry);
      this.rejected = Counter.builder("edge.rules.reloads").description("rules file reloads")
          .tag("result", "rejected").tag("set", role).register(registry);
    }

    /** Records a reloaded set once it is live: counted and logged only after the swap. */
    void installed(RuleSet set) {
      lastError = null;
      lastErrorAt = null;
      ok.increment();
      LOG.info("rules ({}): reloaded {}: {} rules, {} schemas, version {}", role, file.getFileName(),
          set.rules().size(), set.schemas().size(), set.version());
    }

    /** Watches {@code f} from now on, with {@code set} as its installed content. Worker, under swapLock. */
    void adopt(Path f, RuleSet set) {
      file = f;
      loadedStamp = f == null ? "" : stampOf(f);
      seenStamp = loadedStamp;
      lastError = null;
      lastErrorAt = null;
    }

    /** Reads and compiles the file; throws RulesFileException. Worker. */
    RuleSet load() {
      loadedStamp = stampOf(file);
      seenStamp = loadedStamp;
      return RuleCompiler.compile(RulesFile.read(file), clock.instant());
    }

    /**
     * The new rule set when the file changed (and its mtime and size were the same at two
     * consecutive polls) and is valid; null otherwise. Worker.
     */
    RuleSet reloadIfChanged() {
      Path file = this.file;
      if (file == null) {
        return null;
      }
      String now = stampOf(file);
      if (now.equals(loadedStamp)) {
        return null;
      }
      if (!now.equals(seenStamp)) {
        // changed since the last poll: wait until it is stable, never load a half-written file
        seenStamp = now;
        return null;
      }
      loadedStamp = now;
      try {
        if (now.equals("missing")) {
          throw new RulesFileException(file + ": the rules file is gone");
        }
        return RuleCompiler.compile(RulesFile.read(file), clock.instant());
      } catch (RulesFileException e) {
        // status first, then the counter: whoever sees the count sees the error
        lastError = e.getMessage();
        lastErrorAt = clock.instant();
        rejected.increment();
        LOG.warn("rules ({}): rejected, keeping the previous rules: {}", role, e.getMessage());
        return null;
      }
    }
  }

  private static String stampOf(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.lastModifiedTime().toMillis() + ":" + a.lastModifiedTime().toInstant().getNano() + ":" + a.size();
    } catch (NoSuchFileException e) {
      return "missing";
    } catch (IOException e) {
      return "error:" + e;
    }
  }

  // ------------------------------------------------------------- snapshot

  private void snapshotAsync() {
    if (!snapshotting.compareAndSet(false, true)) {
      return;
    }
    worker.executeBlocking(() -> {
      writeSnapshot();
      return (Void) null;
    }, false).onComplete(ar -> {
      snapshotting.set(false);
      if (ar.failed()) {
        LOG.warn("rules: snapshot failed: {}", ar.cause().toString());
      }
    });
  }

  /** Writes every active rule's state and deletes snapshots of rules that are gone. Worker. */
  public void writeSnapshot() {
    Map<byte[], byte[]> entries = new LinkedHashMap<>(engine.snapshot());
    Set<String> current = new HashSet<>(engine.activeIds());
    byte[] prefix = RuleEngine.STATE_PREFIX.getBytes(StandardCharsets.UTF_8);
    state.forEach(prefix, (k, v) -> {
      if (!startsWith(k, prefix)) {
        return false;
      }
      String id = new String(k, prefix.length, k.length - prefix.length, StandardCharsets.UTF_8);
      if (!current.contains(id)) {
        entries.put(k, null);
      }
      return true;
    });
    if (!entries.isEmpty()) {
      state.putAll(entries);
    }
    snapshots.increment();
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    return b.length >= prefix.length && Arrays.equals(b, 0, prefix.length, prefix, 0, prefix.length);
  }

  // ------------------------------------------------------------- status

  /** The {@code rules} part of /status. Non-blocking. */
  public JsonObject status() {
    RuleSet a = engine.activeSet();
    JsonObject out = new JsonObject()
        .put("file", activeWatch.file == null ? null : activeWatch.file.toString())
        .put("source", runsManagedRules() ? "cloud" : "file")
        .put("version", a.version())
        .put("loadedAt", a.loadedAt().equals(Instant.EPOCH) ? null : a.loadedAt().toString())
        .put("count", a.rules().size())
        .put("schemas", a.schemas().size())
        .put("lastError", activeWatch.lastError)
        .put("lastErrorAt", activeWatch.lastErrorAt == null ? null : activeWatch.lastErrorAt.toString())
        .put("fires", new JsonObject(new LinkedHashMap<>(engine.activeFires())));
    RuleSet s = engine.shadowSet();
    if (s != null || shadowWatch.file != null) {
      out.put("shadow", new JsonObject()
          .put("file", String.valueOf(shadowWatch.file))
          .put("version", s == null ? null : s.version())
          .put("loadedAt", s == null ? null : s.loadedAt().toString())
          .put("count", s == null ? 0 : s.rules().size())
          .put("lastError", shadowWatch.lastError)
          .put("fires", new JsonObject(new LinkedHashMap<>(engine.shadowFires()))));
    }
    return out;
  }
}
