package io.edgesync.cloud.kafka;

import io.edgesync.cloud.kafka.NodeWatermarks.Key;
import io.edgesync.cloud.kafka.NodeWatermarks.Watermark;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once heart of cloud-ingest: ONE dedicated thread running ONE Kafka transaction at a
 * time, on a pair of transactional {@link KafkaProducer}s it takes in turns. Event loops hand it
 * decoded batches through a bounded queue ({@link #submit}); the thread drains up to {@code maxTxnBatches} of them
 * (waiting for more while the previous transaction began less than {@code txnIntervalMs} ago) and commits them in
 * ONE transaction together with the new per-(node, class) watermarks in {@code edge.watermarks}
 * (group commit; events, alerts and dead letters share a class's sequence, so their three topics
 * take part in the same transaction). A batch's future completes, on the context that submitted it, only after that
 * transaction committed, or at once when the batch is a duplicate of committed data.
 *
 * <p>Per batch, in queue order, against the watermark W as seen including the tentative updates
 * of earlier batches of the same group:
 * <ul>
 *   <li>{@code lastClassSeq <= W}: duplicate, nothing written;</li>
 *   <li>{@code firstClassSeq > W + 1}: gap; parked up to {@code gapWaitMs} for its predecessor
 *       (HTTP/2 may deliver pipelined batches slightly out of order), then 409; unless the batch
 *       carries the SKIP flag (W+1 .. firstClassSeq-1 were evicted at the edge): then it is
 *       written, W jumps, and the skipped numbers are counted ({@code cloud_skipped_events_total});</li>
 *   <li>else the events with {@code classSeq > W} are sent and W becomes {@code lastClassSeq};
 *       parked successors that now fit join the same transaction.</li>
 * </ul>
 * Any failure aborts the transaction and fails the group's batches with 503 (nothing visible).
 * A fatal or ambiguous failure (fenced, commit timeout) re-creates the producer, re-runs
 * {@code initTransactions} (which completes or aborts the pending transaction) and reloads the
 * watermarks from the topic, because an ambiguous commit may have committed; a reload never lowers
 * a watermark this writer committed ({@link #keepCommitted}). See docs/CLOUD.md.
 *
 * <p>One writer serves one shard of the nodes ({@link ShardedWriter}); its transactional ids are the
 * shard's ({@link #transactionalIds}), so whoever initialises them last is the only one that can
 * commit for those nodes: the watermarks loaded right after {@code initTransactions} of both
 * stay exact until a producer is fenced. When one is fenced, the writer waits
 * {@code fencedWaitMs} (the new owner normally stops it meanwhile) before taking the ids back.
 *
 * <p>Why two producers: a transaction begun on a producer whose previous commit is still writing
 * its markers is held by the broker ({@code CONCURRENT_TRANSACTIONS}, retried after
 * {@code add.partitions.to.txn.retry.backoff.ms}, 20 ms by default), so back-to-back transactions
 * on one producer cost ~20 ms each whatever their size (docs/BENCHMARKS.md). The other
 * producer's last transaction has had a whole transaction's time to finish. Order is kept: a
 * transaction begins only after the previous one's commit returned (its records have lower
 * offsets, and its outcome is decided), and both ids are initialised, in order, before the
 * watermarks are loaded.
 *
 * <p>Threads: {@link #submit}, {@link #state()} and {@link #watermarks()} from any thread; every
 * other field belongs to the writer thread.
 */
public final class KafkaEventWriter {
  /** Lifecycle and health of the writer, shown on /health. */
  public enum State { NEW, STARTING, READY, RECOVERING, STOPPING, STOPPED }

  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventWriter.class);
  private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** Producers a writer takes in turns; a constant, so every instance fences every id of a shard. */
  static final int PRODUCERS = 2;

  private final Vertx vertx;
  private final WriterOptions options;
  private final NodeWatermarks watermarks = new NodeWatermarks();
  private final BlockingQueue<Pending> queue;
  private final WriterMetrics metrics;
  /** The nodes of this writer's shard: watermarks of other nodes are not kept. */
  private final Predicate<String> owns;
  private volatile State state = State.NEW;
  private volatile boolean running;
  private Thread thread;
  private Promise<Void> started;
  private Promise<Void> stopped;

  // writer thread only
  /** Empty, or every producer created and initialised (fenced or not). */
  private final List<Producer<byte[], byte[]>> producers = new ArrayList<>(PRODUCERS);
  /** Index of the producer of the current (or next) transaction. */
  private int turn;
  /** When the last group was taken from the queue ({@link System#nanoTime}); paces the next one. */
  private long lastGroupNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
  /** The last failure was a fence by another holder of the transactional id. */
  private boolean fenced;
  private final Map<Key, List<Pending>> parked = new HashMap<>();
  /** (node, class) whose first SKIP was logged at warn; later ones are counted only. Bounded by the fleet size. */
  private final java.util.Set<Key> skipWarned = new java.util.HashSet<>();
  /** (node, class) whose first LOG_EPOCH_MISMATCH was logged at warn. Bounded by the fleet size. */
  private final java.util.Set<Key> epochWarned = new java.util.HashSet<>();
  private volatile int parkedCount;
  /** First send failure of the open transaction; set by the producer's I/O thread. */
  private volatile Exception sendError;
  private final org.apache.kafka.clients.producer.Callback onSent = (md, e) -> {
    if (e != null && sendError == null) {
      sendError = e;
    }
  };

  /** A writer for every node (one shard): used by tests and single-writer tools. */
  public KafkaEventWriter(Vertx vertx, WriterOptions options, MeterRegistry registry) {
    this(vertx, options, new WriterMetrics(registry), node -> true);
  }

  KafkaEventWriter(Vertx vertx, WriterOptions options, WriterMetrics metrics, Predicate<String> owns) {
    this.vertx = vertx;
    this.options = options;
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.metrics = metrics;
    this.owns = owns;
  }

  /**
   * Starts the writer thread: creates the producer, runs {@code initTransactions} FIRST (fencing
   * any older holder of the same transactional id and settling its open transaction), then
   * loads the watermarks from {@code edge.watermarks} (read_committed). When Kafka does not
   * answer, the thread keeps retrying with the back-off of {@code retryInitialMs..retryMaxMs}
   * until {@link #stop()}.
   *
   * @return completes when the writer first accepts batches
   */
  public synchronized Future<Void> start() {
    if (state != State.NEW) {
      return Future.failedFuture(new IllegalStateException("writer already started"));
    }
    Context ctx = vertx.getOrCreateContext();
    started = Promise.promise();
    stopped = Promise.promise();
    state = State.STARTING;
    running = true;
    thread = new Thread(() -> run(ctx), "kafka-writer[" + options.transactionalId() + "]");
    thread.start();
    return started.future();
  }

  /**
   * Hands a batch to the writer; never blocks. Call from a Vert.x context (the outcome completes
   * on it).
   *
   * @return the outcome; never a failed future
   */
  public Future<WriteOutcome> submit(PreparedBatch batch) {
    if (state != State.READY) {
      return Future.succeededFuture(WriteOutcome.unavailable("Kafka unavailable (writer " + state.name().toLowerCase()
          + ")"));
    }
    Pending p = new Pending(batch, vertx.getOrCreateContext());
    if (!queue.offer(p)) {
      metrics.queueFull.increment();
      return Future.succeededFuture(WriteOutcome.unavailable("ingest queue full"));
    }
    if (state == State.STOPPED) {
      // the writer thread may have drained its queue for the last time before our offer
      failQueued("cloud-ingest is stopping");
    }
    return p.promise.future();
  }

  /** The committed watermarks (read-only for callers). */
  public NodeWatermarks watermarks() {
    return watermarks;
  }

  public State state() {
    return state;
  }

  /** Batches waiting in the queue. */
  public int queueDepth() {
    return queue.size();
  }

  /** Batches waiting for their predecessor. */
  int parkedCount() {
    return parkedCount;
  }

  /**
   * Stops taking batches, lets the current group finish, fails what is still queued or parked
   * with 503, closes the producer. Idempotent.
   */
  public synchronized Future<Void> stop() {
    if (thread == null) {
      state = State.STOPPED;
      return Future.succeededFuture();
    }
    if (running) {
      running = false;
      if (state == State.STARTING || state == State.RECOVERING) {
        // blocked in initTransactions or a back-off: nothing to finish
        thread.interrupt();
      } else if (state == State.READY) {
        state = State.STOPPING;
      }
    }
    return stopped.future();
  }

  // ---------------------------------------------------------------- writer thread

  private void run(Context ctx) {
    try {
      try {
        openProducer();
        if (running) {
          state = State.READY;
        }
        LOG.info("Kafka writer ready (transactional.id {}), {} watermarks loaded", options.transactionalId(),
            watermarks.snapshot().size());
        ctx.runOnContext(v -> started.tryComplete());
      } catch (Exception e) {
        metrics.kafkaError("init");
        closeProducer();
        LOG.warn("Kafka writer (transactional.id {}): Kafka at {} is not usable yet, retrying: {}",
            options.transactionalId(), options.bootstrap(), e.toString());
      }
      loop(ctx);
    } catch (Throwable t) {
      LOG.error("Kafka writer thread failed", t);
    } finally {
      ctx.runOnContext(v -> started.tryFail(new IllegalStateException(
          "Kafka writer " + options.transactionalId() + " stopped before it was ready (Kafka at "
              + options.bootstrap() + ")")));
      state = State.STOPPED;
      failQueued("cloud-ingest is stopping");
      failParked("cloud-ingest is stopping");
      closeProducer();
      LOG.info("Kafka writer stopped");
      ctx.runOnContext(v -> stopped.tryComplete());
    }
  }

  private void loop(Context ctx) {
    while (running) {
      if (producers.isEmpty()) {
        if (recover()) {
          ctx.runOnContext(v -> started.tryComplete());
        }
        continue;
      }
      Pending first;
      try {
        first = queue.poll(nextWakeNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        continue; // stop() interrupts; the loop condition decides
      }
      expireParked();
      if (first == null) {
        continue;
      }
      List<Pending> group = new ArrayList<>(Math.min(options.maxTxnBatches(), queue.size() + 1));
      group.add(first);
      gather(group);
      lastGroupNanos = System.nanoTime();
      commitGroup(group);
    }
  }

  /**
   * Fills a group up to {@code maxTxnBatches}: with what is queued, and, when the previous group
   * started less than {@code txnIntervalMs} ago, with what arrives until that interval has passed.
   * A batch after a quiet spell starts its transaction at once; under load a shard starts at most
   * one transaction per interval, so a transaction's fixed cost at the broker (markers, transaction
   * log writes, woken read_committed fetches) is shared by the batches of several round trips.
   */
  private void gather(List<Pending> group) {
    long until = lastGroupNanos + options.txnIntervalNanos();
    long left;
    while (group.size() < options.maxTxnBatches() && (left = until - System.nanoTime()) > 0) {
      Pending p;
      try {
        p = queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        break; // stop() interrupts: commit what is in hand, the loop condition decides the rest
      }
      if (p != null) {
        group.add(p);
      }
    }
    queue.drainTo(group, options.maxTxnBatches() - group.size());
  }

  /** The state of one group commit. */
  private static final class Group {
    final Map<Key, Watermark> tentative = new LinkedHashMap<>();
    final List<Pending> members = new ArrayList<>();
    /** Batches being classified: the one in hand and the unparked successors queued behind it. */
    final Deque<Pending> work = new ArrayDeque<>();
    Pending current;
    boolean open;
    boolean committing;
    int events;
    /** Members that jumped over evicted numbers (SKIP); counted once the transaction commits. */
    final List<Pending> skips = new ArrayList<>(0);
  }

  private void commitGroup(List<Pending> batches) {
    Group g = new Group();
    long t0 = System.nanoTime();
    try {
      // no catch-up needed: nobody else commits for this shard while our producer is not fenced
      for (Pending p : batches) {
        admit(p, g);
      }
      if (!g.open) {
        completeMembers(g);
        return;
      }
      for (Map.Entry<Key, Watermark> e : g.tentative.entrySet()) {
        producer().send(new ProducerRecord<>(TopicSetup.WATERMARKS, WatermarkLog.recordKey(e.getKey()),
            WatermarkLog.recordValue(e.getValue())), onSent);
      }
      // a failed send is an abortable error, not an ambiguous commit: find it before committing
      producer().flush();
      if (sendError != null) {
        throw sendError;
      }
      g.committing = true;
      producer().commitTransaction();
    } catch (Exception e) {
      fail(g, batches, e);
      return;
    } finally {
      if (g.open) {
        turn = (turn + 1) % PRODUCERS; // committed or aborted: its markers are being written
      }
    }
    watermarks.apply(g.tentative);
    metrics.txn.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    metrics.txnBatches.record(g.members.size());
    metrics.eventsWritten.increment(g.events);
    for (Pending p : g.skips) {
      reportSkip(p);
    }
    completeMembers(g);
  }

  /** After the commit of a SKIP batch that jumped: count, and warn once per (node, class). */
  private void reportSkip(Pending p) {
    PreparedBatch b = p.batch;
    metrics.skipped(b.nodeId(), p.skipped);
    long from = b.firstClassSeq() - p.skipped;
    if (skipWarned.add(b.key())) {
      LOG.warn("[node-id: {}] [class: {}] SKIP: accepted a jump over classSeq {}..{} ({} events evicted at the edge; "
          + "see its loss ledger); further skips of this node and class are only counted (cloud_skipped_events_total)",
          b.nodeId(), b.priority().label(), from, b.firstClassSeq() - 1, p.skipped);
    } else {
      LOG.debug("[node-id: {}] [class: {}] SKIP over classSeq {}..{}", b.nodeId(), b.priority().label(), from,
          b.firstClassSeq() - 1);
    }
  }

  /** Classifies {@code first} (and the parked successors it unblocks) and sends what is new. */
  private void admit(Pending first, Group g) throws Exception {
    Deque<Pending> work = g.work;
    work.add(first);
    while (!work.isEmpty()) {
      Pending p = work.poll();
      g.current = p;
      PreparedBatch b = p.batch;
      Key key = b.key();
      Watermark committed = watermarks.get(key);
      long committedW = committed.committedClassSeq();
      Watermark tentative = g.tentative.get(key);
      long w = tentative != null ? tentative.committedClassSeq() : committedW;
      long knownEpoch = tentative != null ? tentative.logEpoch() : committed.logEpoch();
      if (b.logEpoch() != 0 && knownEpoch != 0 && b.logEpoch() != knownEpoch) {
        // another log under this node id: its numbers are not the ones W counts, so its events
        // are neither duplicates nor gaps; refused before anything is taken for either
        refuseOtherLog(p, knownEpoch, committedW);
        continue;
      }
      if (b.lastClassSeq() <= w) {
        p.duplicates = b.events().size();
        if (b.lastClassSeq() <= committedW) {
          metrics.dedupEvents.increment(p.duplicates);
          p.complete(WriteOutcome.committed(committedW, 0, p.duplicates));
        } else {
          g.members.add(p); // a duplicate of this very group: acknowledged once it commits
        }
        continue;
      }
      long skipped = 0;
      if (b.firstClassSeq() > w + 1) {
        if (!b.skipGap()) {
          park(p, committedW);
          continue;
        }
        // SKIP: the edge evicted w+1 .. first-1 (disk quota) and recorded them in its loss ledger
        skipped = b.firstClassSeq() - (w + 1);
      }
      if (!g.open) {
        sendError = null;
        producer().beginTransaction();
        g.open = true;
      }
      int skip = (int) Math.max(0, w - b.firstClassSeq() + 1);
      List<PreparedEvent> events = b.events();
      for (int i = skip; i < events.size(); i++) {
        PreparedEvent e = events.get(i);
        producer().send(new ProducerRecord<>(e.topic(), null, e.key(), e.value(), e.headers()), onSent);
        if (sendError != null) {
          // send() reports a metadata timeout through the callback, not by throwing: stop at the
          // first one, or every remaining send would block for max.block.ms again
          throw sendError;
        }
      }
      p.duplicates = skip;
      p.written = events.size() - skip;
      g.events += p.written;
      g.tentative.put(key, new Watermark(b.lastClassSeq(), events.get(events.size() - 1).seq(),
          b.logEpoch() != 0 ? b.logEpoch() : knownEpoch));
      g.members.add(p);
      if (skipped > 0) {
        p.skipped = skipped;
        g.skips.add(p);
      }
      work.addAll(unpark(key, b.lastClassSeq(), g));
    }
  }

  /** A batch of a log other than the one the watermark counts: 409 LOG_EPOCH_MISMATCH, warned once per (node, class). */
  private void refuseOtherLog(Pending p, long knownEpoch, long committedW) {
    PreparedBatch b = p.batch;
    metrics.logEpochMismatch.increment();
    String message = "node " + b.nodeId() + " class " + b.priority().label() + ": this batch comes from log epoch "
        + Long.toHexString(b.logEpoch()) + " but classSeq 1.." + committedW + " were committed from log epoch "
        + Long.toHexString(knownEpoch) + " (the node's data folder was recreated, or two edges use this identity); "
        + "nothing written";
    if (epochWarned.add(b.key())) {
      LOG.warn("[node-id: {}] [class: {}] {}; re-enrol the node under a new id (docs/DELIVERY.md). Further refusals "
          + "of this node and class are only counted (cloud_log_epoch_mismatches_total)", b.nodeId(),
          b.priority().label(), message);
    }
    p.complete(WriteOutcome.logEpochMismatch(committedW, message));
  }

  private void completeMembers(Group g) {
    for (Pending p : g.members) {
      Watermark w = g.tentative.get(p.batch.key());
      metrics.dedupEvents.increment(p.duplicates);
      p.complete(WriteOutcome.committed(w.committedClassSeq(), p.written, p.duplicates));
    }
  }

  /**
   * Aborts (or, when fatal or ambiguous, drops) the producer and fails with 503 every batch of the
   * group that has no outcome yet: those already sent, the one being sent, and those not reached.
   * Batches parked during this group stay parked.
   */
  private void fail(Group g, List<Pending> batches, Exception e) {
    boolean fatal = g.committing || isFatal(e);
    metrics.kafkaError(g.committing ? "commit" : "send");
    if (!fatal && g.open) {
      try {
        producer().abortTransaction();
      } catch (Exception ae) {
        metrics.kafkaError("abort");
        fatal = true;
      }
    }
    String why = g.committing
        ? "Kafka commit failed or its outcome is unknown (" + e + "); retry"
        : "Kafka did not commit (" + e + ")";
    LOG.warn("transaction of a group of {} batches failed{}: {}", batches.size(),
        fatal ? ", re-creating the producer" : ", aborted", e.toString());
    if (fatal) {
      fenced = isFenced(e);
      closeProducer(); // the loop re-creates it and reloads the watermarks
    }
    WriteOutcome outcome = WriteOutcome.unavailable(why);
    List<Pending> all = new ArrayList<>(g.members);
    all.addAll(batches);
    all.addAll(g.work);
    if (g.current != null) {
      all.add(g.current);
    }
    for (Pending p : all) {
      if (!p.parked) {
        p.complete(outcome);
      }
    }
  }

  private static boolean isFenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) {
        return true;
      }
    }
    return false;
  }

  private static boolean isFatal(Exception e) {
    return e instanceof ProducerFencedException
        || e instanceof OutOfOrderSequenceException
        || e instanceof InvalidProducerEpochException
        || e instanceof AuthorizationException
        || e instanceof UnsupportedVersionException
        || e instanceof IllegalStateException
        || e instanceof org.apache.kafka.common.errors.TimeoutException;
  }

  /**
   * Re-creates the producer with a capped exponential back-off; fails submissions meanwhile.
   *
   * @return true once the producer is ready again, false when stopped first
   */
  private boolean recover() {
    state = State.RECOVERING;
    failParked("Kafka unavailable");
    if (fenced) {
      // another instance took this shard: leave it the time to stop us before taking it back
      LOG.warn("Kafka writer {} was fenced by another instance; waiting {} ms before taking the shard back",
          options.transactionalId(), options.fencedWaitMs());
      fenced = false;
      failQueued("this shard moved to another instance");
      waitFailingSubmissions(options.fencedWaitMs());
    }
    long backoff = options.retryInitialMs();
    int attempt = 0;
    while (running) {
      attempt++;
      failQueued("Kafka unavailable (reconnecting)");
      try {
        openProducer();
        metrics.producerRestarts.increment();
        if (running) {
          state = State.READY;
        }
        LOG.info("Kafka writer {} recovered after {} attempt(s); {} watermarks reloaded", options.transactionalId(),
            attempt, watermarks.snapshot().size());
        return true;
      } catch (Exception e) {
        metrics.kafkaError("recover");
        closeProducer();
        LOG.warn("Kafka writer: re-creating the producer failed (attempt {}), next try in {} ms: {}", attempt,
            backoff, e.toString());
      }
      waitFailingSubmissions(backoff);
      backoff = Math.min(options.retryMaxMs(), backoff * 2);
      backoff = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
    }
    return false;
  }

  /** The producer of the current transaction. */
  private Producer<byte[], byte[]> producer() {
    return producers.get(turn);
  }

  /**
   * The transactional ids of a writer whose {@code transactional.id} option is {@code id}:
   * {@code id} itself and {@code id + ".b"}.
   */
  static List<String> transactionalIds(String id) {
    List<String> ids = new ArrayList<>(PRODUCERS);
    ids.add(id);
    for (int i = 1; i < PRODUCERS; i++) {
      ids.add(id + "." + (char) ('a' + i));
    }
    return ids;
  }

  /** Creates and initialises both producers (fencing earlier holders), then loads the watermarks. */
  private void openProducer() {
    for (String id : transactionalIds(options.transactionalId())) {
      Producer<byte[], byte[]> p = newProducer(id);
      producers.add(p); // closed by closeProducer() if initTransactions fails
      p.initTransactions();
    }
    turn = 0;
    // after the fence: every commit of an earlier holder of these ids is settled and visible
    long timeout = options.timeoutMs();
    Map<Key, Watermark> all = WatermarkLog.load(options.kafkaProperties(), timeout);
    all.keySet().removeIf(k -> !owns.test(k.nodeId()));
    keepCommitted(all);
    watermarks.replaceAll(all);
  }

  /**
   * Where the reload shows a watermark below one this writer committed, keeps the committed one.
   * A commit that returned is decided, but Kafka can leave its records hidden from
   * {@code read_committed} readers: a hanging transaction after a broker crash (its coordinator
   * completed it, the partitions never got its markers; docs/OPERATIONS.md). Reloading the older
   * value would answer SEQUENCE_GAP to an edge for events it already released, every time, and
   * the edge cannot resend them. Watermarks only grow, and whoever committed beyond this writer
   * (a shard owner meanwhile) shows in the reload, so the larger value is the committed one. Our
   * next transaction on such a partition also ends the hanging one: a partition closes a
   * producer's open transaction with the next marker of that producer.
   */
  private void keepCommitted(Map<Key, Watermark> loaded) {
    String example = null;
    int kept = 0;
    for (Map.Entry<Key, Watermark> e : watermarks.snapshot().entrySet()) {
      Watermark reloaded = loaded.get(e.getKey());
      long shown = reloaded == null ? 0 : reloaded.committedClassSeq();
      if (owns.test(e.getKey().nodeId()) && shown < e.getValue().committedClassSeq()) {
        if (example == null) {
          example = e.getKey() + " at classSeq " + shown + " instead of " + e.getValue().committedClassSeq();
        }
        loaded.put(e.getKey(), e.getValue());
        kept++;
      }
    }
    if (kept > 0) {
      metrics.hiddenWatermarks.increment(kept);
      LOG.warn("Kafka writer {}: {} shows {} watermark(s) below what this writer committed (e.g. {}): a committed "
              + "transaction is not visible to read_committed readers (hanging transaction?); keeping them",
          options.transactionalId(), TopicSetup.WATERMARKS, kept, example);
    }
  }

  private Producer<byte[], byte[]> newProducer(String transactionalId) {
    Properties p = options.kafkaProperties();
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "cloud-ingest-" + transactionalId);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "131072");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, options.compression());
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L * 1024 * 1024));
    long timeout = options.timeoutMs();
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, String.valueOf(timeout));
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(timeout / 2));
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(options.transactionTimeoutMs()));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private void closeProducer() {
    // stop() may have interrupted us; close() would log an error and leak the I/O thread
    Thread.interrupted();
    for (Producer<byte[], byte[]> p : producers) {
      try {
        p.close(Duration.ofSeconds(2));
      } catch (Exception e) {
        LOG.debug("closing a producer: {}", e.toString());
      }
    }
    producers.clear();
  }

  // ---------------------------------------------------------------- parking

  private void park(Pending p, long committedW) {
    PreparedBatch b = p.batch;
    if (options.gapWaitMs() == 0 || parkedCount >= options.maxParkedBatches()) {
      p.complete(gap(b, committedW));
      return;
    }
    p.parkedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.gapWaitMs());
    p.parked = true;
    List<Pending> list = parked.computeIfAbsent(b.key(), k -> new ArrayList<>(2));
    int i = 0;
    while (i < list.size() && list.get(i).batch.firstClassSeq() <= b.firstClassSeq()) {
      i++;
    }
    list.add(i, p);
    parkedCount++;
  }

  /** Removes and returns, in class-seq order, the parked batches of {@code key} that now fit. */
  private List<Pending> unpark(Key key, long w, Group g) {
    List<Pending> list = parked.get(key);
    if (list == null) {
      return List.of();
    }
    List<Pending> out = new ArrayList<>();
    while (!list.isEmpty() && list.get(0).batch.firstClassSeq() <= w + 1) {
      Pending p = list.remove(0);
      p.parked = false;
      out.add(p);
    }
    if (list.isEmpty()) {
      parked.remove(key);
    }
    parkedCount -= out.size();
    return out;
  }

  private void expireParked() {
    if (parkedCount == 0) {
      return;
    }
    long now = System.nanoTime();
    for (Iterator<Map.Entry<Key, List<Pending>>> it = parked.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Key, List<Pending>> e = it.next();
      for (Iterator<Pending> pi = e.getValue().iterator(); pi.hasNext(); ) {
        Pending p = pi.next();
        if (now - p.parkedUntilNanos >= 0) {
          pi.remove();
          parkedCount--;
          p.parked = false;
          p.complete(gap(p.batch, watermarks.committedClassSeq(e.getKey())));
        }
      }
      if (e.getValue().isEmpty()) {
        it.remove();
      }
    }
  }

  private long nextWakeNanos() {
    long wait = IDLE_POLL_NANOS;
    if (parkedCount > 0) {
      long now = System.nanoTime();
      for (List<Pending> list : parked.values()) {
        for (Pending p : list) {
          wait = Math.min(wait, Math.max(0, p.parkedUntilNanos - now));
        }
      }
    }
    return wait;
  }

  private static WriteOutcome gap(PreparedBatch b, long committedW) {
    return WriteOutcome.gap(committedW, "batch starts at classSeq " + b.firstClassSeq() + " but "
        + b.nodeId() + "/" + b.priority().label() + " is committed up to " + committedW
        + "; resend from " + (committedW + 1));
  }

  private void failParked(String why) {
    for (List<Pending> list : parked.values()) {
      for (Pending p : list) {
        p.parked = false;
        p.complete(WriteOutcome.unavailable(why));
      }
    }
    parked.clear();
    parkedCount = 0;
  }

  private void failQueued(String why) {
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    for (Pending p : left) {
      p.complete(WriteOutcome.unavailable(why));
    }
  }

  private void waitFailingSubmissions(long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (running) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        Pending p = queue.poll(left, TimeUnit.NANOSECONDS);
        if (p != null) {
          p.complete(WriteOutcome.unavailable("Kafka unavailable (reconnecting)"));
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** A submitted batch and the promise its submitter waits on. */
  private static final class Pending {
    final PreparedBatch batch;
    final Context context;
    final Promise<WriteOutcome> promise = Promise.promise();
    int written;
    int duplicates;
    /** Class sequence numbers this SKIP batch jumped over (0: none). */
    long skipped;
    long parkedUntilNanos;
    /** In the parked map (writer thread only). */
    boolean parked;
    /** An outcome was handed to the submitter; later outcomes are ignored. */
    private volatile boolean done;

    Pending(PreparedBatch batch, Context context) {
      this.batch = batch;
      this.context = context;
    }

    /** Completes on the submitter's context; the first outcome wins. */
    void complete(WriteOutcome outcome) {
      if (done) {
        return;
      }
      done = true;
      context.runOnContext(v -> promise.tryComplete(outcome));
    }
  }
}
