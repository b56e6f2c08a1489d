package io.edgesync.edge.forward;

import io.edgesync.config.HostPort;
import io.edgesync.edge.log.LogReader;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.EventBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards the durable event log to the cloud ingest service: reads batches of one priority
 * class, sends them as {@code POST /v1/batches} over HTTP/2 with mutual TLS, and releases
 * the log up to the watermark the cloud reports as committed. See docs/FORWARDER.md for the
 * policies (batching, priority, pipelining, backoff, failover, release) and
 * docs/PROTOCOL.md for the wire protocol.
 *
 * <p>Threading: the forwarder runs on one Vert.x context, that of an internal verticle it
 * deploys in {@link #start()}. Every field marked "context" is read and written only on
 * that context; fields that {@link #status()} reads from other threads are volatile or
 * atomic and are still written only on the context. Log reads, batch encoding and log
 * releases run on a named worker pool (they block on RocksDB). {@link #start()},
 * {@link #stop()} and {@link #status()} may be called from any thread.
 */
public final class BatchForwarder {
  private static final Logger LOG = LoggerFactory.getLogger(BatchForwarder.class);
  static final String PATH = "/v1/batches";
  /** Periodic wake-up in case a durable notification was missed, and retry of failed releases. */
  private static final long SAFETY_TICK_MS = 500;
  /** How long a class whose log is behind the cloud's watermark is held before it is tried again. */
  static final long LOG_BEHIND_RETRY_MS = 30_000;
  /** Upper bound of the wait for in-flight answers in {@link #stop()}. */
  private static final long MAX_STOP_WAIT_MS = 10_000;
  /** Reasons the cloud may give with 400/403/413 (docs/PROTOCOL.md); anything else is tagged by status. */
  private static final Set<String> KNOWN_REJECTIONS = Set.of("BAD_MAGIC", "UNSUPPORTED_VERSION", "TRUNCATED",
      "CRC_MISMATCH", "BAD_COMPRESSION", "BAD_SEQUENCE", "BAD_ENVELOPE", "NODE_MISMATCH", "TOO_LARGE",
      "UNSUPPORTED_FLAGS", "REVOKED");

  /** Link state as shown by {@link #status()}. */
  enum Link {
    /** the last answer of the current link epoch was a 200 */
    UP,
    /** not confirmed: never answered yet, or probing again after a backoff */
    DOWN,
    /** waiting before the next attempt; nothing is sent */
    BACKOFF;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Vertx vertx;
  private final ForwarderConfig config;
  private final LogReader log;
  private final ForwarderMetrics metrics;
  private final Backoff backoff;
  private final String node;
  private final Map<Priority, ClassState> classes = new EnumMap<>(Priority.class);
  /** Coalesces wake-ups from the log writer thread: at most one pending runOnContext. */
  private final AtomicBoolean wakeScheduled = new AtomicBoolean();
  private final AtomicLong batchesOk = new AtomicLong();
  private final AtomicLong batchesFailed = new AtomicLong();

  /** Set once in start (any thread reads it). */
  private volatile Context context;
  /** Written once by stop() (any thread); read on the context. */
  private volatile boolean stopping;
  /** Guarded by this. */
  private Future<Void> startFuture;
  /** Guarded by this. */
  private Future<Void> stopFuture;
  private volatile String deploymentId;

  // ---- state confined to the context ----
  private HttpClientAgent client;
  private WorkerExecutor worker;
  /** Index into config.endpoints() of the endpoint new batches go to. */
  private int endpointIndex;
  /** Bumped on every backoff: an answer from an older epoch never triggers another failover/backoff. */
  private long linkEpoch;
  /** Consecutive failures since the last success; drives the backoff exponent. */
  private int consecutiveFailures;
  /** 421 NOT_OWNER answers in a row: the endpoints tried since the last success (or the last full round). */
  private int notOwnerInARow;
  /** The cloud's admission hint (docs/PROTOCOL.md): batches in flight; never above config.maxInFlight(). */
  private volatile int admittedInFlight;
  /** The cloud's admission hint: events/s for normal and bulk; 0 = no limit from the cloud. */
  private volatile long cloudMaxEventsPerSec;
  /** Rate cap: the earliest time the next normal or bulk batch may be cut (System.nanoTime). */
  private long nextPacedNanos;
  private long paceTimer = -1;
  /** Batches whose log read / encoding is running on the worker. */
  private int building;
  /** Requests sent and not answered yet. */
  private int outstanding;
  /** Releases running on the worker (for the bounded wait in stop). */
  private int releasing;
  private long backoffTimer = -1;
  private long safetyTimer = -1;
  /** Current batch bounds; halved after a 413 (never grow again in this process). */
  private int batchEventsLimit;
  private int batchBytesLimit;
  /** Whether the "link down" warning was logged since the link was last up. */
  private boolean downReported;
  /** Set when stop() closes the client and the worker pool: nothing may be scheduled after. */
  private boolean closed;

  // ---- written on the context, read by status() from any thread ----
  private volatile Link link = Link.DOWN;
  private volatile HostPort endpoint;
  private volatile String lastError;
  /** Epoch ms of the next attempt while in BACKOFF, else 0. */
  private volatile long nextRetryAtMs;

  /**
   * @param vertx    the Vert.x instance; the forwarder deploys one internal verticle on it
   * @param config   settings (endpoints, TLS files, batch bounds, retry policy)
   * @param log      the durable log to read from and release
   * @param registry where the {@code edge_forward_*} and {@code edge_e2e_seconds} meters go
   */
  public BatchForwarder(Vertx vertx, ForwarderConfig config, LogReader log, MeterRegistry registry) {
    this.vertx = vertx;
    this.config = config;
    this.log = log;
    this.metrics = new ForwarderMetrics(registry, config.maxInFlight(), config.maxEventsPerSec());
    this.backoff = new Backoff(config.retryInitial(), config.retryMax(), new SplittableRandom());
    this.node = config.nodeId();
    this.endpoint = config.endpoints().get(0);
    this.admittedInFlight = config.maxInFlight();
    this.batchEventsLimit = config.maxBatchEvents();
    this.batchBytesLimit = config.maxBatchBytes();
    for (Priority p : Priority.values()) {
      classes.put(p, new ClassState(p));
    }
  }

  /**
   * Deploys the forwarder's verticle: creates the HTTP/2 client, resumes every class from the
   * log's released watermark and starts draining. Fails when called twice, after
   * {@link #stop()}, or when a TLS file is not readable.
   */
  public synchronized Future<Void> start() {
    if (startFuture != null || stopping) {
      return Future.failedFuture(new IllegalStateException("the forwarder can be started once, and not after stop()"));
    }
    for (Path p : List.of(config.tlsCert(), config.tlsKey(), config.tlsCa())) {
      if (!Files.isReadable(p)) {
        startFuture = Future.failedFuture(
            new IllegalArgumentException("[node-id: " + node + "] TLS file not readable: " + p));
        return startFuture;
      }
    }
    startFuture = vertx.deployVerticle(new Loop()).map(id -> {
      deploymentId = id;
      return null;
    });
    return startFuture;
  }

  /**
   * Stops sending, waits (at most {@code min(requestTimeout, 10 s)}) for in-flight answers and
   * running releases, then closes the HTTP client and the worker pool. Idempotent: every call
   * returns the same future. Batches still unanswered are simply resent at the next start
   * (the cloud deduplicates them).
   */
  public synchronized Future<Void> stop() {
    if (stopFuture != null) {
      return stopFuture;
    }
    stopping = true;
    if (startFuture == null) {
      stopFuture = Future.succeededFuture();
      return stopFuture;
    }
    // after a start still deploying has finished (or failed: then there is nothing to stop)
    stopFuture = startFuture.transform(started -> {
      if (started.failed()) {
        return Future.succeededFuture();
      }
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> shutdown().onComplete(done));
      return done.future();
    });
    return stopFuture;
  }

  /**
   * A snapshot for the status page, safe from any thread:
   * {@code {link, endpoint, inFlight, classes: {critical: {sentClassSeq, ackedClassSeq,
   * releasedClassSeq, lastClassSeq, held, problem}, ...}, batches: {ok, failed}, lastError, e2eMs: {p50, p95, p99},
   * nextRetryInMs}}.
   */
  public JsonObject status() {
    JsonObject perClass = new JsonObject();
    for (ClassState s : classes.values()) {
      perClass.put(s.priority.label(), new JsonObject()
          .put("sentClassSeq", s.sent)
          .put("ackedClassSeq", s.acked)
          .put("releasedClassSeq", s.released)
          .put("lastClassSeq", log.lastClassSeq(s.priority))
          .put("held", s.held)
          .put("problem", s.problem()));
    }
    JsonObject e2e = new JsonObject();
    for (double q : ForwarderMetrics.E2E_QUANTILES) {
      e2e.put("p" + Math.round(q * 100), Math.round(metrics.e2ePercentileSeconds(q) * 1000));
    }
    Link l = link;
    long retryAt = nextRetryAtMs;
    return new JsonObject()
        .put("link", l.label())
        .put("endpoint", endpoint.toString())
        .put("inFlight", metrics.inFlight.get())
        .put("admission", new JsonObject().put("maxInFlight", admittedInFlight).put("maxEventsPerSec", maxEventsPerSec()))
        .put("classes", perClass)
        .put("batches", new JsonObject().put("ok", batchesOk.get()).put("failed", batchesFailed.get()))
        .put("lastError", lastError)
        .put("e2eMs", e2e)
        .put("nextRetryInMs", l == Link.BACKOFF && retryAt > 0 ? Math.max(0, retryAt - System.currentTimeMillis()) : 0);
  }

  // ------------------------------------------------------------------ lifecycle (context)

  /** The verticle that owns the forwarder's context. */
  private final class Loop extends VerticleBase {
    @Override
    public Future<?> start() {
      onStart(this.context);
      return Future.succeededFuture();
    }
  }

  private void onStart(Context ctx) {
    for (ClassState s : classes.values()) {
      long released = log.releasedClassSeq(s.priority);
      s.sent = released;
      s.acked = released;
      s.released = released;
    }
    worker = vertx.createSharedWorkerExecutor("edge-forward-" + node, 2);
    client = createClient();
    context = ctx;
    log.onDurable(this::wake);
    safetyTimer = vertx.setPeriodic(SAFETY_TICK_MS, id -> {
      pump();
      classes.values().forEach(this::scheduleRelease);
    });
    LOG.info("[node-id: {}] forwarder started: endpoints {}, batches of <= {} events / {} bytes, linger {} ms, "
            + "{} in flight, {}; resuming after classSeq critical={} normal={} bulk={}",
        node, config.endpoints(), batchEventsLimit, batchBytesLimit, config.linger().toMillis(),
        config.maxInFlight(), config.compression().label(), classes.get(Priority.CRITICAL).sent,
        classes.get(Priority.NORMAL).sent, classes.get(Priority.BULK).sent);
    pump();
  }

  private HttpClientAgent createClient() {
    HttpClientOptions options = CloudClientOptions.of(config, config.requestTimeout());
    // one HTTP/2 connection per endpoint; the batches multiplex on it as streams. Requests wait in
    // the pool only while the connection is being set up; a timed-out attempt may leave its waiter
    // there until the connect timeout, hence room for a few rounds beyond maxInFlight
    PoolOptions pool = new PoolOptions().setHttp2MaxSize(1).setMaxWaitQueueSize(4 * config.maxInFlight());
    return vertx.createHttpClient(options, pool);
  }

  private Future<Void> shutdown() {
    cancelTimer(safetyTimer);
    cancelTimer(backoffTimer);
    cancelTimer(paceTimer);
    classes.values().forEach(s -> {
      cancelTimer(s.lingerTimer);
      cancelTimer(s.holdTimer);
      s.lingerTimer = -1;
      s.holdTimer = -1;
    });
    long waitMs = Math.min(config.requestTimeout().toMillis(), MAX_STOP_WAIT_MS);
    long deadline = System.nanoTime() + waitMs * 1_000_000L;
    Promise<Void> idle = Promise.promise();
    awaitIdle(deadline, idle);
    return idle.future()
        .eventually(() -> {
          closed = true;
          return client.close();
        })
        .eventually(() -> worker.close())
        .eventually(() -> vertx.undeploy(deploymentId))
        .onSuccess(v -> LOG.info("[node-id: {}] forwarder stopped", node));
  }

  private void awaitIdle(long deadlineNanos, Promise<Void> idle) {
    if (building == 0 && outstanding == 0 && releasing == 0) {
      idle.complete();
    } else if (System.nanoTime() - deadlineNanos >= 0) {
      LOG.warn("[node-id: {}] stopping with {} batches unanswered and {} releases running; "
          + "unanswered batches are resent at the next start", node, outstanding + building, releasing);
      idle.complete();
    } else {
      vertx.setTimer(10, id -> awaitIdle(deadlineNanos, idle));
    }
  }

  /** Called on the log writer thread after each durable group commit: schedule, never block. */
  private void wake() {
    Context ctx = context;
    if (!stopping && ctx != null && wakeScheduled.compareAndSet(false, true)) {
      ctx.runOnContext(v -> {
        wakeScheduled.set(false);
        pump();
      });
    }
  }

  // ------------------------------------------------------------------ draining (context)

  /** Fills free batch slots, highest-priority class first. */
  private void pump() {
    if (stopping || link == Link.BACKOFF) {
      return;
    }
    long now = System.nanoTime();
    while (building + outstanding < admittedInFlight) {
      ClassState next = pick(now);
      if (next == null) {
        return;
      }
      if (next.priority != Priority.CRITICAL && paced(now)) {
        return;
      }
      build(next);
    }
  }

  /** The rate cap in force for normal and bulk: the lower of ours and the cloud's; 0 = none. */
  private long maxEventsPerSec() {
    long ours = config.maxEventsPerSec();
    long cloud = cloudMaxEventsPerSec;
    return ours == 0 ? cloud : cloud == 0 ? ours : Math.min(ours, cloud);
  }

  /** True (and a wake-up timer set) when the rate cap says the next normal or bulk batch must wait. */
  private boolean paced(long nowNanos) {
    long wait = nextPacedNanos - nowNanos;
    if (maxEventsPerSec() == 0 || wait <= 0) {
      return false;
    }
    if (paceTimer == -1) {
      metrics.throttled();
      paceTimer = vertx.setTimer(Math.max(1, wait / 1_000_000), id -> {
        paceTimer = -1;
        pump();
      });
    }
    return true;
  }

  /** Books {@code events} against the rate cap (normal and bulk batches only). */
  private void pace(Priority p, int events) {
    long rate = maxEventsPerSec();
    if (rate == 0 || p == Priority.CRITICAL) {
      return;
    }
    long now = System.nanoTime();
    nextPacedNanos = Math.max(now, nextPacedNanos) + events * 1_000_000_000L / rate;
  }

  /**
   * Takes the admission hint of a reply: {@code {"admission":{"maxInFlight":N,"maxEventsPerSec":R}}}.
   * In flight is clamped to 1..forward.maxInFlight; a reply without a hint changes nothing.
   */
  private void admit(JsonObject body) {
    if (!(body.getValue("admission") instanceof JsonObject a)) {
      return;
    }
    int inFlight = (int) Math.max(1, Math.min(config.maxInFlight(), longField(a, "maxInFlight", config.maxInFlight())));
    long rate = Math.max(0, longField(a, "maxEventsPerSec", 0));
    if (inFlight != admittedInFlight || rate != cloudMaxEventsPerSec) {
      LOG.info("[node-id: {}] cloud admission: {} batches in flight (ours {}), {} events/s for normal and bulk{}", node,
          inFlight, config.maxInFlight(), rate == 0 ? "no limit on" : rate,
          config.maxEventsPerSec() > 0 ? " (ours " + config.maxEventsPerSec() + ")" : "");
      admittedInFlight = inFlight;
      cloudMaxEventsPerSec = rate;
      metrics.admission(inFlight, maxEventsPerSec());
    }
  }

  /**
   * The class to cut a batch from now, or null. The candidate is the highest-priority class
   * with unsent events; it goes when its batch is full or its linger has passed, or at once
   * when a lower class is ready (priority beats linger, so a trickle of critical events
   * never holds back a bulk backlog for a linger each, and bulk never overtakes critical).
   *
   * <p>With nothing in flight every class is ready at once (like Nagle's algorithm): lingering
   * only pays while an earlier batch is on its way, because the events that arrive meanwhile
   * would wait for its answer anyway. So a quiet link forwards an event without the linger,
   * and a busy one still cuts batches of what arrived during a round trip (or a linger).
   */
  private ClassState pick(long nowNanos) {
    boolean idle = building + outstanding == 0;
    ClassState candidate = null;
    for (Priority p : Priority.values()) {
      ClassState s = classes.get(p);
      long unsent = log.lastClassSeq(p) - s.sent;
      if (unsent <= 0 || s.held) {
        s.firstSeenNanos = 0;
        continue;
      }
      boolean ready = unsent >= batchEventsLimit || idle || lingerPassed(s, nowNanos);
      if (candidate == null) {
        if (s.building) {
          // its next batch starts where the one being read ends: wait for that read
          return null;
        }
        if (ready) {
          return s;
        }
        candidate = s;
      } else if (ready) {
        return candidate;
      }
    }
    return null;
  }

  private boolean lingerPassed(ClassState s, long nowNanos) {
    long lingerNanos = config.linger().toNanos();
    if (lingerNanos <= 0) {
      return true;
    }
    if (s.firstSeenNanos == 0) {
      s.firstSeenNanos = nowNanos;
    }
    long left = s.firstSeenNanos + lingerNanos - nowNanos;
    if (left <= 0) {
      return true;
    }
    if (s.lingerTimer == -1) {
      s.lingerTimer = vertx.setTimer(Math.max(1, (left + 999_999) / 1_000_000), id -> {
        s.lingerTimer = -1;
        pump();
      });
    }
    return false;
  }

  /** Reads and encodes the next batch of {@code s} on the worker, then sends it. */
  private void build(ClassState s) {
    s.building = true;
    s.firstSeenNanos = 0;
    building++;
    updateInFlight();
    long generation = s.generation;
    long from = s.sent + 1;
    int maxEvents = batchEventsLimit;
    int maxBytes = batchBytesLimit;
    long acked = s.acked;
    // what the log reports as appended now: pick() saw events up to here, and a batch never goes
    // past it (see readAndEncode)
    long end = log.lastClassSeq(s.priority);
    worker.executeBlocking(() -> readAndEncode(s.priority, from, maxEvents, maxBytes, acked, end), false)
        .onComplete(ar -> {
          s.building = false;
          building--;
          updateInFlight();
          if (ar.failed()) {
            onBuildFailed(s, from, ar.cause().toString(), ar.cause(), "log_read", backoff.delayMs(s.buildFailures++));
          } else if (ar.result() instanceof OutgoingBatch b) {
            onBuilt(s, b, generation);
          } else if (ar.result() instanceof LogHole h && h.first() - 1 > s.acked
              && log.firstClassSeq(s.priority) <= h.first()) {
            // events the cloud never acknowledged are missing from the log: protocol v1 cannot skip them
            onBuildFailed(s, from, "the log has no " + s.priority.label() + " events " + from + ".." + (h.first() - 1)
                + " (it continues at " + h.first() + ") but the cloud committed only up to " + s.acked, null,
                "log_hole", backoff.maxMs());
          }
          // a LogHole at or below the acknowledged watermark: released while we read; the next build starts after it.
          // One above it whose start the log has passed since: evicted while we read; the next build sends with SKIP
          pump();
        });
  }

  /**
   * Runs on the worker: blocking log read, checks, encoding. Null when the log had nothing
   * from {@code from} on; a {@link LogHole} when it starts later than {@code from} for another
   * reason than eviction.
   *
   * <p>SKIP (docs/PROTOCOL.md): when the batch starts at the log's first live class sequence
   * number and that is above {@code acked + 1}, every number in between was released or evicted
   * at the disk quota (the log is one contiguous live run per class), so the frame carries the
   * SKIP flag and the cloud accepts the jump instead of answering 409. The first live number is
   * read after the events, so an eviction racing the read only makes this batch go without SKIP.
   *
   * <p>Nothing above {@code end} (the log's {@code lastClassSeq} when the build started) is sent:
   * the cloud's answer is checked against {@code lastClassSeq} ({@link #onCommitted}), and a
   * watermark above it means a wiped log, which holds the class for good. A log that lets a read
   * see a group it has not published yet (the writer thread can lose its core in between) would
   * otherwise have its own events taken for that.
   */
  private BuildResult readAndEncode(Priority c, long from, int maxEvents, int maxBytes, long acked, long end) {
    List<byte[]> envelopes = log.read(c, from, maxEvents, maxBytes);
    if (envelopes.isEmpty()) {
      return null;
    }
    byte[] firstEnvelope = envelopes.get(0);
    byte[] lastEnvelope = envelopes.get(envelopes.size() - 1);
    long first = EnvelopeCodec.classSeqOf(firstEnvelope);
    long last = EnvelopeCodec.classSeqOf(lastEnvelope);
    if (last != first + envelopes.size() - 1 || EnvelopeCodec.priorityOf(firstEnvelope) != c) {
      throw new IllegalStateException("log read of " + c.label() + " from classSeq " + from + " returned classSeq "
          + first + ".." + last + " (" + envelopes.size() + " events): not a contiguous run of the class");
    }
    if (last > end) {
      if (first > end) {
        return null; // none of it reported as appended when the build started: the next build reads again
      }
      envelopes = envelopes.subList(0, (int) (end - first + 1));
      lastEnvelope = envelopes.get(envelopes.size() - 1);
      last = end;
    }
    long firstLive = log.firstClassSeq(c);
    // acked is the watermark when the build started: the batches before this one may have been
    // answered and released while it read (firstLive then moved up to first); only what is
    // neither acknowledged nor released was evicted
    long committed = Math.max(acked, log.releasedClassSeq(c));
    boolean skip = first == firstLive && first > committed + 1;
    if (first != from && !skip) {
      return new LogHole(from, first);
    }
    if (skip) {
      LOG.info("[node-id: {}] [class: {}] [classSeq: {}..{}] sending with SKIP: classSeq {}..{} were evicted at the "
          + "disk quota (see the loss ledger)", node, c.label(), first, last, committed + 1, first - 1);
    }
    int rawBytes = 0;
    for (byte[] e : envelopes) {
      rawBytes += e.length;
    }
    byte[] frame = BatchCodec.encode(new EventBatch(node, c, first, envelopes, skip, log.logEpoch()),
        config.compression());
    long lastIngestMs = EnvelopeCodec.decode(lastEnvelope).ingestTimeMs();
    return new OutgoingBatch(c, first, last, envelopes.size(), rawBytes, frame, lastIngestMs);
  }

  private void onBuilt(ClassState s, OutgoingBatch b, long generation) {
    if (stopping || link == Link.BACKOFF || generation != s.generation || b.last() <= s.acked) {
      // rewound, backing off or already committed meanwhile: the log still has it, rebuild later
      return;
    }
    s.buildFailures = 0;
    s.sent = Math.max(s.sent, b.last());
    pace(s.priority, b.count());
    send(s, b, generation);
  }

  private void onBuildFailed(ClassState s, long from, String problem, Throwable cause, String kind, long holdMs) {
    String reason = "cannot build a " + s.priority.label() + " batch from classSeq " + from + ": " + problem;
    if (cause != null) {
      LOG.error("[node-id: {}] [class: {}] [classSeq: {}..] {}; retrying in {} ms", node, s.priority.label(), from,
          reason, holdMs, cause);
    } else {
      LOG.error("[node-id: {}] [class: {}] [classSeq: {}..] {}; retrying in {} ms", node, s.priority.label(), from,
          reason, holdMs);
    }
    hold(s, kind, reason, holdMs);
  }

  /**
   * Keeps {@code s} out of the drain for {@code delayMs}: a problem of one class (its log, or
   * the cloud's watermark for it) must not stall the others, nor spin. {@code reason} becomes
   * {@code lastError} and the class's {@code problem} while it is held.
   */
  private void hold(ClassState s, String kind, String reason, long delayMs) {
    lastError = reason;
    metrics.stall(s.priority, kind);
    if (stopping) {
      return;
    }
    cancelTimer(s.holdTimer);
    s.holdReason = reason;
    s.held = true;
    s.holdTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      s.holdTimer = -1;
      s.held = false;
      pump();
    });
  }

  // ------------------------------------------------------------------ sending (context)

  private void send(ClassState s, OutgoingBatch b, long generation) {
    outstanding++;
    updateInFlight();
    metrics.sent(b.count(), b.frame().length);
    HostPort target = config.endpoints().get(endpointIndex);
    long epoch = linkEpoch;
    long sentAt = System.nanoTime();
    Promise<Reply> attempt = Promise.promise();
    HttpClientRequest[] request = new HttpClientRequest[1];
    long timeoutMs = Math.max(1, config.requestTimeout().toMillis());
    long timer = vertx.setTimer(timeoutMs, id -> attempt.tryFail(
        new TimeoutException("no answer within " + timeoutMs + " ms")));
    client.request(new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(target.host())
            .setPort(target.port())
            .setURI(PATH)
            .putHeader(HttpHeaders.CONTENT_TYPE, BatchCodec.CONTENT_TYPE))
        .compose(req -> {
          if (attempt.future().isComplete()) {
            // timed out while waiting for a connection: do not send a batch nobody waits for
            req.reset();
            return Future.failedFuture("abandoned");
          }
          request[0] = req;
          return req.send(Buffer.buffer(b.frame()));
        })
        .compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), parse(body))))
        .onComplete(ar -> {
          // the timeout may have failed the attempt already
          if (ar.succeeded()) {
            attempt.tryComplete(ar.result());
          } else {
            attempt.tryFail(ar.cause());
          }
        });
    attempt.future().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.failed() && request[0] != null) {
        request[0].reset();
      }
      outstanding--;
      updateInFlight();
      if (ar.failed()) {
        onRetryable(b, epoch, target, describe(ar.cause()));
      } else {
        onReply(s, b, generation, epoch, target, sentAt, ar.result());
      }
      pump();
    });
  }

  private void onReply(ClassState s, OutgoingBatch b, long generation, long epoch, HostPort target, long sentAt, Reply r) {
    int status = r.status();
    admit(r.body());
    if (status == 200) {
      onCommitted(s, b, generation, epoch, target, sentAt, r.body());
    } else if (status == 409 && "LOG_EPOCH_MISMATCH".equals(r.body().getString("error"))) {
      onOtherLog(s, b, generation, r.body());
    } else if (status == 409) {
      onGap(s, b, generation, epoch, r.body());
    } else if (status == 421) {
      onNotOwner(b, epoch, target, r.body());
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
      // 400, 403, 413 and any other client error: these bytes will not be accepted as they are
      onRejected(s, b, generation, epoch, status, r.body());
    } else {
      onRetryable(b, epoch, target, "HTTP " + status + " " + r.body().getString("error", ""));
    }
  }

  private void onCommitted(ClassState s, OutgoingBatch b, long generation, long epoch, HostPort target,
      long sentAt, JsonObject body) {
    // a 200 means the whole batch is committed; without a watermark in the body, that is its last event
    long committed = longField(body, "committedClassSeq", b.last());
    long logEnd = log.lastClassSeq(b.priority());
    if (committed > logEnd || s.logBehindCloud != null) {
      onLogBehindCloud(s, b, generation, committed, logEnd);
      return;
    }
    batchesOk.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.OK);
    long newlyAcked = Math.max(0, committed - s.acked);
    metrics.acknowledged(b.priority(), newlyAcked, System.nanoTime() - sentAt, b.lastIngestMs(),
        System.currentTimeMillis());
    advanceAck(s, committed);
    if (committed >= b.last()) {
      s.gapsWithoutProgress = 0;
    } else if (generation == s.generation) {
      // the reply contradicts itself: release only what the watermark covers and resend the rest, but do not spin
      LOG.warn("[node-id: {}] [class: {}] [classSeq: {}..{}] cloud answered 200 with committedClassSeq {}; "
          + "releasing only what it reports and resending the rest", node, b.priority().label(), b.first(), b.last(), committed);
      rewind(s, Math.max(s.acked, committed));
      if (++s.gapsWithoutProgress > 1) {
        hold(s, "gap_loop", "cloud answered 200 for " + b.priority().label() + " " + b.first() + ".." + b.last()
            + " with committedClassSeq " + committed, backoff.delayMs(s.gapsWithoutProgress - 2));
      }
    }
    if (epoch == linkEpoch) {
      consecutiveFailures = 0;
      notOwnerInARow = 0;
      if (link != Link.UP) {
        link = Link.UP;
        metrics.linkUp.set(1);
        LOG.info("[node-id: {}] link up to {} ([class: {}] [classSeq: {}..{}] committed)",
            node, target, b.priority().label(), b.first(), b.last());
        downReported = false;
      }
    }
  }

  /**
   * The cloud has committed class sequence numbers this log never assigned: the node's data
   * folder was wiped (or restored from an older copy) while the cloud kept the node's
   * watermark, so it takes the new events for duplicates of old ones and acknowledges them
   * without writing them. Releasing them would lose them without a trace: they stay in the log,
   * the class is held and tried again every {@link #LOG_BEHIND_RETRY_MS}, and the error says what
   * to do (re-enrol the node under a new id; docs/DELIVERY.md). Once found, the class stays held
   * until the process ends, also after the log has grown past the cloud's watermark.
   */
  private void onLogBehindCloud(ClassState s, OutgoingBatch b, long generation, long committed, long logEnd) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.LOG_BEHIND);
    if (s.logBehindCloud == null) {
      s.logBehindCloud = "the cloud has committed " + b.priority().label() + " up to classSeq " + committed
          + " but this log ends at " + logEnd + ": the data folder was wiped or restored while the cloud kept this "
          + "node's sequence; new events are kept, not sent. Re-enrol the node under a new id (docs/DELIVERY.md)";
    }
    if (generation != s.generation) {
      return; // another batch of this class already found it
    }
    rewind(s, s.acked);
    LOG.error("[node-id: {}] [class: {}] [classSeq: {}..{}] {}; trying again in {} ms", node, b.priority().label(),
        b.first(), b.last(), s.logBehindCloud, LOG_BEHIND_RETRY_MS);
    hold(s, "log_behind_cloud", s.logBehindCloud, LOG_BEHIND_RETRY_MS);
  }

  /**
   * 409 LOG_EPOCH_MISMATCH: the cloud's watermark of this class counts another log's events (this
   * data folder was recreated under the same node id, or another edge uses this identity).
   * Nothing was written nor acknowledged, so nothing is released; the class is held and tried
   * again after {@code retryMax} (it goes on by itself once the operator has removed the node's
   * watermarks in the cloud and restarted cloud-ingest; normally the node is re-enrolled under a
   * new id).
   */
  private void onOtherLog(ClassState s, OutgoingBatch b, long generation, JsonObject body) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.LOG_EPOCH);
    if (generation != s.generation) {
      return; // another batch of this class already found it
    }
    String reason = "the cloud refuses " + b.priority().label() + " classSeq " + b.first() + ".." + b.last()
        + " of this log (epoch " + Long.toHexString(log.logEpoch()) + "): its watermark counts another log's events "
        + "under node id " + node + " (this data folder was recreated, or another edge uses this identity); "
        + "these events are kept, not sent. Re-enrol the node under a new id (docs/DELIVERY.md)";
    rewind(s, s.acked);
    LOG.error("[node-id: {}] [class: {}] [classSeq: {}..{}] {}; cloud: {}; trying again in {} ms", node,
        b.priority().label(), b.first(), b.last(), reason, body.getString("message", ""), backoff.maxMs());
    hold(s, "log_epoch", reason, backoff.maxMs());
  }

  private void onGap(ClassState s, OutgoingBatch b, long generation, long epoch, JsonObject body) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.GAP);
    long committed = longField(body, "committedClassSeq", s.acked);
    if (generation != s.generation) {
      // an older batch of a class that was already rewound; its answer changes nothing
      return;
    }
    long from = Math.max(s.acked, committed);
    if (committed < s.acked) {
      LOG.warn("[node-id: {}] [class: {}] cloud reports committedClassSeq {} below the {} it acknowledged before",
          node, b.priority().label(), committed, s.acked);
    }
    LOG.info("[node-id: {}] [class: {}] [classSeq: {}..{}] sequence gap: cloud committed up to {}, resending from {}",
        node, b.priority().label(), b.first(), b.last(), committed, from + 1);
    rewind(s, from);
    s.gapsWithoutProgress++;
    if (s.gapsWithoutProgress > 1) {
      // resending from the watermark did not help: the cloud and the log disagree; do not spin
      long delay = backoff.delayMs(s.gapsWithoutProgress - 2);
      String reason = "repeated SEQUENCE_GAP for " + b.priority().label() + " at classSeq " + (from + 1)
          + " (cloud committed " + committed + ")";
      LOG.error("[node-id: {}] [class: {}] {}; holding the class for {} ms", node, b.priority().label(), reason, delay);
      hold(s, "gap_loop", reason, delay);
    }
  }

  private void onRejected(ClassState s, OutgoingBatch b, long generation, long epoch, int status, JsonObject body) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.REJECTED);
    String error = body.getString("error", "");
    String reason = KNOWN_REJECTIONS.contains(error) ? error : "HTTP_" + status;
    metrics.rejected(reason);
    String message = "HTTP " + status + " " + reason + ": " + body.getString("message", "");
    LOG.error("[node-id: {}] [class: {}] [classSeq: {}..{}] cloud refused the batch ({} events, {} bytes): {}; "
            + "rebuilding it from the log after {} ms",
        node, b.priority().label(), b.first(), b.last(), b.count(), b.frame().length, message, backoff.maxMs());
    lastError = message;
    if (status == 413) {
      int events = Math.max(1, b.count() / 2);
      int bytes = Math.max(1, b.rawBytes() / 2);
      if (events < batchEventsLimit || bytes < batchBytesLimit) {
        batchEventsLimit = Math.min(batchEventsLimit, events);
        batchBytesLimit = Math.min(batchBytesLimit, bytes);
        LOG.warn("[node-id: {}] batches now hold at most {} events / {} bytes", node, batchEventsLimit, batchBytesLimit);
      }
    }
    if (generation == s.generation) {
      rewind(s, s.acked);
    }
    if (epoch == linkEpoch) {
      enterBackoff(message, backoff.maxMs(), false);
    }
  }

  private void onRetryable(OutgoingBatch b, long epoch, HostPort target, String reason) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.RETRYABLE);
    if (epoch != linkEpoch) {
      // sent before the failure that already rewound everything and chose the next endpoint
      return;
    }
    lastError = target + ": " + reason;
    long delay = backoff.delayMs(consecutiveFailures++);
    if (!downReported) {
      LOG.warn("[node-id: {}] link down to {}: {} ([class: {}] [classSeq: {}..{}]); retrying with backoff, "
          + "next attempt in {} ms", node, target, reason, b.priority().label(), b.first(), b.last(), delay);
      downReported = true;
    } else {
      LOG.debug("[node-id: {}] still down ({}): {}; next attempt in {} ms", node, target, reason, delay);
    }
    classes.values().forEach(s -> rewind(s, s.acked));
    enterBackoff(lastError, delay, config.endpoints().size() > 1);
  }

  /**
   * 421 NOT_OWNER: another cloud-ingest instance writes this node's shard (docs/PROTOCOL.md).
   * Nothing was written; the next endpoint is tried at once, and only after a whole round of
   * endpoints answered 421 (the cloud tier is moving shards) with the usual back-off.
   */
  private void onNotOwner(OutgoingBatch b, long epoch, HostPort target, JsonObject body) {
    batchesFailed.incrementAndGet();
    metrics.batch(ForwarderMetrics.Result.NOT_OWNER);
    if (epoch != linkEpoch) {
      return;
    }
    int endpoints = config.endpoints().size();
    lastError = target + ": HTTP 421 NOT_OWNER " + body.getString("message", "");
    long delay = ++notOwnerInARow < endpoints ? 0 : backoff.delayMs(consecutiveFailures++);
    if (notOwnerInARow >= endpoints) {
      notOwnerInARow = 0;
    }
    LOG.info("[node-id: {}] {} does not write this node's shard; {}", node, target,
        endpoints > 1 ? "trying the next endpoint" + (delay > 0 ? " in " + delay + " ms" : "")
            : "retrying in " + delay + " ms (the cloud tier is moving shards)");
    classes.values().forEach(c -> rewind(c, c.acked));
    enterBackoff(lastError, delay, endpoints > 1);
  }

  /**
   * Stops sending for {@code delayMs}; answers of batches already sent still count, but none
   * of them triggers another backoff (the epoch moves on).
   */
  private void enterBackoff(String reason, long delayMs, boolean failover) {
    linkEpoch++;
    link = Link.BACKOFF;
    metrics.linkUp.set(0);
    metrics.retry();
    if (failover) {
      endpointIndex = (endpointIndex + 1) % config.endpoints().size();
      endpoint = config.endpoints().get(endpointIndex);
      LOG.debug("[node-id: {}] next endpoint {}", node, endpoint);
    }
    if (stopping) {
      return;
    }
    long delay = Math.max(1, delayMs);
    nextRetryAtMs = System.currentTimeMillis() + delay;
    cancelTimer(backoffTimer);
    backoffTimer = vertx.setTimer(delay, id -> {
      backoffTimer = -1;
      nextRetryAtMs = 0;
      if (link == Link.BACKOFF) {
        link = Link.DOWN;
      }
      pump();
    });
  }

  /** The next batch of {@code s} starts after {@code classSeq}; batches built or sent before are stale. */
  private void rewind(ClassState s, long classSeq) {
    s.sent = classSeq;
    s.generation++;
    s.firstSeenNanos = 0;
  }

  // ------------------------------------------------------------------ release (context)

  private void advanceAck(ClassState s, long committed) {
    if (committed <= s.acked) {
      return;
    }
    // never past the end of the log: onCommitted holds the class instead (onLogBehindCloud)
    s.acked = committed;
    s.sent = Math.max(s.sent, committed);
    scheduleRelease(s);
  }

  /** Releases the log up to the acknowledged watermark; one release per class at a time. */
  private void scheduleRelease(ClassState s) {
    if (s.releasing || closed) {
      return;
    }
    long target = Math.min(s.acked, log.lastClassSeq(s.priority));
    if (target <= s.released) {
      return;
    }
    s.releasing = true;
    releasing++;
    worker.executeBlocking(() -> {
      log.release(s.priority, target);
      return null;
    }, false).onComplete(ar -> {
      s.releasing = false;
      releasing--;
      if (ar.succeeded()) {
        s.released = Math.max(s.released, target);
        scheduleRelease(s);
      } else {
        // retried by the safety tick; the events stay in the log meanwhile
        lastError = "release of " + s.priority.label() + " up to " + target + " failed: " + ar.cause().getMessage();
        LOG.error("[node-id: {}] [class: {}] [classSeq: ..{}] {}", node, s.priority.label(), target, lastError, ar.cause());
      }
    });
  }

  // ------------------------------------------------------------------ replay (/admin/replay)

  /** What a replay did: events re-sent, and how the cloud counted them. */
  public record ReplayResult(Priority priority, long from, long to, long replayed, long written, long duplicates) {}

  /** The range is not (or no longer, or not entirely) in the local log. */
  public static final class NotRetainedException extends RuntimeException {
    public NotRetainedException(String message) {
      super(message);
    }
  }

  /** The range goes past what the cloud has committed: the normal drain sends that part. */
  public static final class NotCommittedException extends RuntimeException {
    public NotCommittedException(String message) {
      super(message);
    }
  }

  /**
   * Re-forwards the committed class-sequence range [{@code from}, {@code to}] of {@code c}
   * still in the log ({@code log.retainReleased}), as normal batches (same event ids, same
   * class sequence numbers), one at a time and outside the in-flight budget. The cloud
   * acknowledges them against its watermark: nothing already committed is written again.
   * Fails with {@link NotRetainedException} when part of the range is gone, with
   * {@link NotCommittedException} when it goes past the acknowledged watermark.
   */
  public Future<ReplayResult> replay(Priority c, long from, long to) {
    Context ctx = context;
    if (ctx == null || stopping) {
      return Future.failedFuture(new IllegalStateException("the forwarder is not running"));
    }
    Promise<ReplayResult> done = Promise.promise();
    ctx.runOnContext(v -> {
      ClassState s = classes.get(c);
      if (to > s.acked) {
        done.fail(new NotCommittedException(c.label() + " classSeq " + to + " is above what the cloud committed ("
            + s.acked + "); the forwarder sends it anyway"));
        return;
      }
      LOG.info("[node-id: {}] [class: {}] [classSeq: {}..{}] replay requested", node, c.label(), from, to);
      replayNext(c, from, to, from, new long[3], done);
    });
    return done.future();
  }

  private void replayNext(Priority c, long from, long to, long next, long[] counts, Promise<ReplayResult> done) {
    if (next > to) {
      LOG.info("[node-id: {}] [class: {}] [classSeq: {}..{}] replayed {} events: cloud wrote {}, {} duplicates",
          node, c.label(), from, to, counts[0], counts[1], counts[2]);
      done.complete(new ReplayResult(c, from, to, counts[0], counts[1], counts[2]));
      return;
    }
    if (stopping) {
      done.fail(new IllegalStateException("the forwarder stopped during the replay"));
      return;
    }
    int max = (int) Math.min(batchEventsLimit, to - next + 1);
    worker.executeBlocking(() -> {
      List<byte[]> envelopes = log.read(c, next, max, batchBytesLimit);
      long first = envelopes.isEmpty() ? -1 : EnvelopeCodec.classSeqOf(envelopes.get(0));
      long last = envelopes.isEmpty() ? -1 : EnvelopeCodec.classSeqOf(envelopes.get(envelopes.size() - 1));
      if (first != next || last != first + envelopes.size() - 1) {
        throw new NotRetainedException(c.label() + " classSeq " + next + " is no longer in the log (log.retainReleased)");
      }
      byte[] frame = BatchCodec.encode(new EventBatch(node, c, first, envelopes, false, log.logEpoch()),
          config.compression());
      return new Object[] {last, envelopes.size(), frame};
    }, false).compose(o -> {
      long last = (Long) o[0];
      int count = (Integer) o[1];
      return post((byte[]) o[2]).compose(r -> r.status() == 200 ? Future.succeededFuture(new long[] {last, count,
          r.body().getLong("written", 0L), r.body().getLong("duplicates", 0L)})
          : Future.failedFuture(new IllegalStateException("cloud answered HTTP " + r.status() + " "
              + r.body().getString("error", "") + " to the replay batch from classSeq " + next)));
    }).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      long[] r = ar.result();
      counts[0] += r[1];
      counts[1] += r[2];
      counts[2] += r[3];
      replayNext(c, from, to, r[0] + 1, counts, done);
    });
  }

  /** One POST of a frame to the current endpoint, with the request timeout. */
  private Future<Reply> post(byte[] frame) {
    HostPort target = config.endpoints().get(endpointIndex);
    long timeoutMs = Math.max(1, config.requestTimeout().toMillis());
    return client.request(new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost(target.host())
            .setPort(target.port())
            .setURI(PATH)
            .setTimeout(timeoutMs)
            .putHeader(HttpHeaders.CONTENT_TYPE, BatchCodec.CONTENT_TYPE))
        .compose(req -> req.send(Buffer.buffer(frame)))
        .compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), parse(body))));
  }

  // ------------------------------------------------------------------ helpers

  private void updateInFlight() {
    metrics.inFlight.set(building + outstanding);
  }

  private void cancelTimer(long id) {
    if (id != -1) {
      vertx.cancelTimer(id);
    }
  }

  private static JsonObject parse(Buffer body) {
    try {
      return body.length() == 0 ? new JsonObject() : new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      return new JsonObject();
    }
  }

  private static long longField(JsonObject body, String key, long fallback) {
    Object v = body.getValue(key);
    return v instanceof Number n ? n.longValue() : fallback;
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** Per-class cursors. Fields are written only on the context; volatile ones are read by status(). */
  private static final class ClassState {
    final Priority priority;
    /** Highest classSeq handed to a request (or known committed). */
    volatile long sent;
    /** Highest classSeq the cloud reported committed. */
    volatile long acked;
    /** Log watermark after the last completed release. */
    volatile long released;
    /** Bumped on every rewind: builds and answers of an older generation do not move the cursor. */
    long generation;
    /**
     * Set when the cloud's watermark was past the end of this log (a wiped data folder): what was
     * found, for lastError and the log. Stays set until the process ends, so the class is not
     * released later when the log grows past that watermark; null otherwise. Volatile: read by
     * {@link #status()} from any thread.
     */
    volatile String logBehindCloud;
    boolean building;
    boolean releasing;
    /** When unsent events of this class were first noticed (nanoTime), 0 when none. */
    long firstSeenNanos;
    long lingerTimer = -1;
    /** 409s (or self-contradicting 200s) since the last clean 200 of this class. */
    int gapsWithoutProgress;
    /** Failed builds in a row (log read errors). */
    int buildFailures;
    /** Kept out of the drain until holdTimer fires (see hold()). */
    volatile boolean held;
    /** Why the class was last held (meaningful while {@link #held}). */
    volatile String holdReason;
    long holdTimer = -1;

    ClassState(Priority priority) {
      this.priority = priority;
    }

    /**
     * What keeps this class from flowing now, null when nothing does: the log behind the cloud's
     * watermark (for the life of the process), or the reason of a current hold.
     */
    String problem() {
      String behind = logBehindCloud;
      if (behind != null) {
        return behind;
      }
      return held ? holdReason : null;
    }
  }

  /** What a build on the worker produced. */
  private sealed interface BuildResult permits OutgoingBatch, LogHole {}

  /** A batch read and encoded, ready to send. The frame is excluded from equality by design (never compared). */
  private record OutgoingBatch(Priority priority, long first, long last, int count, int rawBytes, byte[] frame,
      long lastIngestMs) implements BuildResult {}

  /** The log had no event at {@code from}; its run of the class continues at {@code first}. */
  private record LogHole(long from, long first) implements BuildResult {}

  private record Reply(int status, JsonObject body) {}
}
