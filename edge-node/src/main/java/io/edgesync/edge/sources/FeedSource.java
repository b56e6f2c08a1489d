package io.edgesync.edge.sources;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.log.AppendResult;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.IngestHook;
import io.edgesync.model.Event;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One market-data feed: the edge is the TCP client of a line feed of JSON ticks
 * ({@code {"seq":N,"symbol":"ACME","price":101.25,"size":300,"ts":<exchange ms>}}, one per
 * line) and appends each tick to the {@link EventLog} as an event of source
 * {@code feed:<name>}, id {@code <name>:<seq>}, event time {@code ts}, topic from the
 * template, through the same {@link IngestHook} (local rules) as MQTT publishes.
 *
 * <p>Sequence: ticks are appended strictly in seq order. A tick above the next expected seq
 * opens a gap: it is logged once (warn, with the missing range), counted, asked again from
 * the feed on the same connection ({@code {"replay":{"from":A,"to":B}}}) and the later
 * ticks are held (at most {@code maxBufferedTicks}) until the replay fills the gap, so the
 * source's order (and so each instrument's) is kept in the log and in Kafka. A gap not
 * filled within {@code gapTimeout} (or with the hold buffer full) is declared lost, counted
 * and skipped. A tick at or below the last appended seq is a duplicate (a replay already
 * seen, a reconnect overlap) and is dropped; the log's dedup index (explicit id) is the
 * second line of defence.
 *
 * <p>Restart: the highest seq whose tick is durably in the log is saved (RocksDB {@code state},
 * key {@code feed/<name>/seq}) every {@value #SAVE_SEQ_MS} ms and at stop; the next start
 * resumes after it, so the ticks the feed sent while the edge was down open a gap and are asked
 * for again (those stored after the last save are duplicates the dedup index drops).
 *
 * <p>Bounds: a line above {@code maxLineBytes} is counted and skipped (up to its newline);
 * the socket is paused above {@value #PAUSE_AT} log queue pressure (writer queue or disk
 * quota) and resumed at {@value #RESUME_AT}; reconnects use capped exponential backoff
 * with jitter. Everything runs on this verticle's event loop; {@link #status()} reads
 * volatile fields only.
 */
public final class FeedSource extends VerticleBase {
  static final double PAUSE_AT = 0.75;
  static final double RESUME_AT = 0.25;
  private static final long PAUSED_CHECK_MS = 100;
  static final long SAVE_SEQ_MS = 1_000;
  private static final Logger LOG = LoggerFactory.getLogger(FeedSource.class);

  private final FeedSettings settings;
  private final EventLog log;
  private final IngestHook hook;
  private final Clock clock;
  private final String source;

  // event-loop state
  private NetClient client;
  private NetSocket socket;
  private boolean stopping;
  private long expected; // next seq to append; 0 = not known yet
  private final TreeMap<Long, Tick> held = new TreeMap<>();
  private long gapTimer = -1;
  private long reconnectTimer = -1;
  private long pausedTimer = -1;
  private long saveTimer = -1;
  /** Highest seq whose append completed (event loop); saved to the state store. */
  private volatile long durableSeq;
  private long savedSeq;
  private final ReconnectBackoff backoff;
  private boolean everConnected;
  private Buffer partial = Buffer.buffer();
  private boolean skipping;

  // read by status() from other threads
  private volatile boolean connected;
  private volatile boolean paused;
  private volatile long lastSeq;
  private volatile int heldCount;

  private final Counter messages;
  private final Counter gaps;
  private final Counter gapMessages;
  private final Counter lostMessages;
  private final Counter replayRequests;
  private final Counter tooLong;
  private final Counter malformed;
  private final Counter duplicates;
  private final Counter reconnects;
  private final Counter pauses;
  private final Counter appendFailures;

  public FeedSource(FeedSettings settings, EventLog log, IngestHook hook, MeterRegistry registry, Clock clock) {
    this.settings = settings;
    this.log = log;
    this.hook = hook;
    this.clock = clock;
    this.source = settings.source();
    this.backoff = new ReconnectBackoff(settings.reconnectInitial(), settings.reconnectMax());
    String feed = settings.name();
    messages = counter(registry, "edge.feed.messages", feed, "valid ticks received from the feed");
    gaps = counter(registry, "edge.feed.gaps", feed, "sequence gaps detected");
    gapMessages = counter(registry, "edge.feed.gap.messages", feed, "seqs missing in detected gaps");
    lostMessages = counter(registry, "edge.feed.gap.lost.messages", feed,
        "seqs of gaps declared lost (replay did not fill them in feed.<name>.gapTimeout or the hold buffer was full)");
    replayRequests = counter(registry, "edge.feed.replay.requests", feed, "replay requests sent to the feed");
    tooLong = Counter.builder("edge.feed.rejected").tag("feed", feed).tag("reason", "too_long")
        .description("feed lines skipped").register(registry);
    malformed = Counter.builder("edge.feed.rejected").tag("feed", feed).tag("reason", "malformed")
        .description("feed lines skipped").register(registry);
    duplicates = counter(registry, "edge.feed.duplicates", feed, "ticks at or below the last appended seq, dropped");
    reconnects = counter(registry, "edge.feed.reconnects", feed, "connections to the feed after the first");
    pauses = counter(registry, "edge.feed.pauses", feed, "times the feed socket stopped being read (log pressure)");
    appendFailures = counter(registry, "edge.feed.append.failures", feed,
        "ticks the log refused (full, closing); the connection is reset and the range asked again");
    Gauge.builder("edge.feed.connected", this, f -> f.connected ? 1 : 0).tag("feed", feed)
        .description("1 while connected to the feed").register(registry);
    Gauge.builder("edge.feed.last.seq", this, f -> f.lastSeq).tag("feed", feed)
        .description("last seq appended to the log").register(registry);
    Gauge.builder("edge.feed.held.ticks", this, f -> f.heldCount).tag("feed", feed)
        .description("ticks held behind an open gap").register(registry);
  }

  private static Counter counter(MeterRegistry r, String name, String feed, String description) {
    return Counter.builder(name).tag("feed", feed).description(description).register(r);
  }

  @Override
  public Future<?> start() {
    client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000).setTcpNoDelay(true));
    if (settings.startSeq() > 0) {
      expected = settings.startSeq();
    }
    log.onDurable(() -> {
      if (paused && log.queuePressure() <= RESUME_AT) {
        context.runOnContext(v -> resumeIfLow());
      }
    });
    return vertx.executeBlocking(() -> log.store("state").get(seqKey())).map(saved -> {
      if (saved != null) {
        long seq = Long.parseLong(new String(saved, StandardCharsets.US_ASCII));
        durableSeq = savedSeq = lastSeq = seq;
        expected = Math.max(expected, seq + 1);
        LOG.info("[feed: {}] resuming after seq {} (saved at the last run)", settings.name(), seq);
      }
      saveTimer = vertx.setPeriodic(SAVE_SEQ_MS, id -> saveSeq());
      connect();
      LOG.info("[feed: {}] connecting to {} (topic {}, class {})", settings.name(), settings.endpoint(),
          settings.topic(), settings.priority().label());
      return null;
    });
  }

  private byte[] seqKey() {
    return ("feed/" + settings.name() + "/seq").getBytes(StandardCharsets.UTF_8);
  }

  /** Saves the durable seq when it moved (worker). */
  private Future<Void> saveSeq() {
    long seq = durableSeq;
    if (seq <= savedSeq) {
      return Future.succeededFuture();
    }
    savedSeq = seq;
    return vertx.executeBlocking(() -> {
      log.store("state").put(seqKey(), Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
      return (Void) null;
    }, false).onFailure(e -> LOG.warn("[feed: {}] saving seq {} failed: {}", settings.name(), seq, e.toString()));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    cancel(gapTimer);
    cancel(reconnectTimer);
    cancel(pausedTimer);
    cancel(saveTimer);
    connected = false;
    NetSocket s = socket;
    socket = null;
    Future<Void> closed = s == null ? Future.succeededFuture() : s.close();
    return closed.transform(ar -> client.close()).transform(ar -> saveSeq().recover(e -> Future.succeededFuture()));
  }

  public String name() {
    return settings.name();
  }

  /** The feed's part of {@code /status}; safe from any thread. */
  public JsonObject status() {
    return new JsonObject()
        .put("endpoint", settings.endpoint().toString())
        .put("source", source)
        .put("connected", connected)
        .put("paused", paused)
        .put("lastSeq", lastSeq)
        .put("durableSeq", durableSeq)
        .put("messages", (long) messages.count())
        .put("gaps", (long) gaps.count())
        .put("gapMessages", (long) gapMessages.count())
        .put("lostMessages", (long) lostMessages.count())
        .put("replayRequests", (long) replayRequests.count())
        .put("heldTicks", heldCount)
        .put("duplicates", (long) duplicates.count())
        .put("rejectedTooLong", (long) tooLong.count())
        .put("rejectedMalformed", (long) malformed.count())
        .put("reconnects", (long) reconnects.count());
  }

  // ---------------------------------------------------------------- connection

  private void connect() {
    reconnectTimer = -1;
    if (stopping) {
      return;
    }
    client.connect(settings.endpoint().port(), settings.endpoint().host()).onComplete(ar -> {
      if (ar.failed()) {
        LOG.debug("[feed: {}] cannot connect to {}: {}", settings.name(), settings.endpoint(), ar.cause().toString());
        scheduleReconnect();
      } else if (stopping) {
        ar.result().close();
      } else {
        onConnected(ar.result());
      }
    });
  }

  private void onConnected(NetSocket s) {
    socket = s;
    partial = Buffer.buffer();
    skipping = false;
    if (everConnected) {
      reconnects.increment();
    }
    everConnected = true;
    connected = true; // last: whoever sees connected in status() sees this connection counted
    LOG.info("[feed: {}] connected to {}", settings.name(), settings.endpoint());
    s.handler(b -> {
      if (socket == s) {
        onData(b);
      }
    });
    s.exceptionHandler(t -> LOG.debug("[feed: {}] connection error: {}", settings.name(), t.toString()));
    s.closeHandler(v -> onClosed(s));
    // holes still open from the previous connection are asked again on this one
    for (long[] hole : holes()) {
      requestReplay(hole[0], hole[1]);
    }
    applyBackpressure();
  }

  private void onClosed(NetSocket s) {
    if (socket != s) {
      return;
    }
    socket = null;
    connected = false;
    clearPause();
    if (!stopping) {
      LOG.warn("[feed: {}] connection to {} lost; reconnecting", settings.name(), settings.endpoint());
      scheduleReconnect();
    }
  }

  /** Capped exponential backoff with equal jitter: delay in [backoff/2, backoff]. */
  private void scheduleReconnect() {
    if (stopping || reconnectTimer >= 0) {
      return;
    }
    reconnectTimer = vertx.setTimer(backoff.nextDelayMs(), id -> connect());
  }

  // ---------------------------------------------------------------- lines

  private void onData(Buffer data) {
    int start = 0;
    int n = data.length();
    for (int i = 0; i < n && socket != null; i++) {
      if (data.getByte(i) == '\n') {
        chunk(data, start, i, true);
        start = i + 1;
      }
    }
    if (start < n && socket != null) {
      chunk(data, start, n, false);
    }
  }

  private void chunk(Buffer data, int from, int to, boolean complete) {
    if (skipping) {
      skipping = !complete;
      return;
    }
    int len = partial.length() + (to - from);
    if (len > settings.maxLineBytes()) {
      tooLong.increment();
      LOG.warn("[feed: {}] line longer than feed.{}.maxLineBytes {} skipped", settings.name(), settings.name(),
          settings.maxLineBytes());
      partial = Buffer.buffer();
      skipping = !complete;
      return;
    }
    if (!complete) {
      partial.appendBuffer(data, from, to - from);
      return;
    }
    byte[] line;
    if (partial.length() == 0) {
      line = data.getBytes(from, to);
    } else {
      partial.appendBuffer(data, from, to - from);
      line = partial.getBytes();
      partial = Buffer.buffer();
    }
    int end = line.length;
    while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == ' ')) {
      end--;
    }
    if (end == 0) {
      return; // blank line (keep-alive)
    }
    if (end < line.length) {
      line = java.util.Arrays.copyOf(line, end);
    }
    Tick t = parse(line);
    if (t == null) {
      malformed.increment();
      LOG.debug("[feed: {}] malformed tick line skipped", settings.name());
      return;
    }
    messages.increment();
    onTick(t);
    backoff.reset(); // a working connection resets the backoff
  }

  /** One tick as received; {@code line} is stored as the event's payload. */
  record Tick(long seq, String symbol, long ts, byte[] line) {}

  private Tick parse(byte[] line) {
    try {
      JsonObject o = new JsonObject(Buffer.buffer(line));
      Object seq = o.getValue("seq");
      Object symbol = o.getValue("symbol");
      Object ts = o.getValue("ts");
      if (!(seq instanceof Number n) || n.longValue() < 1 || !(symbol instanceof String sym) || sym.isEmpty()
          || sym.indexOf('+') >= 0 || sym.indexOf('#') >= 0 || sym.indexOf('/') >= 0) {
        return null;
      }
      long time = ts instanceof Number tn ? tn.longValue() : clock.millis();
      return new Tick(n.longValue(), sym, time, line);
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- sequence

  private void onTick(Tick t) {
    if (expected == 0) {
      expected = t.seq(); // first tick ever (feed.<name>.startSeq 0): start where the feed is
    }
    if (t.seq() < expected || held.containsKey(t.seq())) {
      duplicates.increment();
      return;
    }
    if (t.seq() == expected) {
      store(t);
      expected++;
      drainHeld();
      return;
    }
    long highest = held.isEmpty() ? expected - 1 : held.lastKey();
    if (t.seq() > highest + 1) {
      openGap(highest + 1, t.seq() - 1);
    }
    held.put(t.seq(), t);
    heldCount = held.size();
    if (gapTimer < 0) {
      gapTimer = vertx.setTimer(settings.gapTimeout().toMillis(), id -> {
        gapTimer = -1;
        declareLost("not replayed within feed." + settings.name() + ".gapTimeout " + settings.gapTimeout().toMillis()
            + " ms");
      });
    }
    if (held.size() > settings.maxBufferedTicks()) {
      declareLost("more than feed." + settings.name() + ".maxBufferedTicks " + settings.maxBufferedTicks()
          + " ticks held");
    }
  }

  private void openGap(long from, long to) {
    long missing = to - from + 1;
    gaps.increment();
    gapMessages.increment(missing);
    LOG.warn("[feed: {}] sequence gap: seq {}..{} missing ({} ticks){}", settings.name(), from, to, missing,
        settings.replay() ? "; asking the feed to replay them" : "");
    requestReplay(from, to);
  }

  private void requestReplay(long from, long to) {
    NetSocket s = socket;
    if (!settings.replay() || s == null) {
      return;
    }
    replayRequests.increment();
    s.write("{\"replay\":{\"from\":" + from + ",\"to\":" + to + "}}\n");
  }

  /** The open holes: [expected, first held - 1] and between held ticks. */
  private List<long[]> holes() {
    List<long[]> out = new ArrayList<>();
    long next = expected;
    for (long seq : held.keySet()) {
      if (seq > next) {
        out.add(new long[] {next, seq - 1});
      }
      next = seq + 1;
    }
    return out;
  }

  /** Appends the held ticks that are next in sequence; stops the gap timer when none is held. */
  private void drainHeld() {
    Map.Entry<Long, Tick> e;
    while ((e = held.firstEntry()) != null && e.getKey() == expected) {
      held.pollFirstEntry();
      store(e.getValue());
      expected++;
    }
    heldCount = held.size();
    if (held.isEmpty()) {
      cancel(gapTimer);
      gapTimer = -1;
    }
  }

  /** Gives up the first hole: counted as lost, the held ticks after it are appended. */
  private void declareLost(String why) {
    if (held.isEmpty()) {
      return;
    }
    long first = held.firstKey();
    long missing = first - expected;
    lostMessages.increment(missing);
    LOG.warn("[feed: {}] sequence gap seq {}..{} declared lost ({} ticks): {}", settings.name(), expected, first - 1,
        missing, why);
    expected = first;
    drainHeld();
    if (!held.isEmpty() && gapTimer < 0) {
      gapTimer = vertx.setTimer(settings.gapTimeout().toMillis(), id -> {
        gapTimer = -1;
        declareLost(why);
      });
    }
  }

  // ---------------------------------------------------------------- append

  private void store(Tick t) {
    lastSeq = t.seq();
    long now = clock.millis();
    String id = settings.name() + ":" + t.seq();
    String topic = settings.topic().replace("{symbol}", t.symbol());
    IngestHook.Outcome outcome;
    try {
      outcome = hook.onEvent(new Event(0, 0, settings.priority(), source, topic, id, t.ts(), now, t.line()));
    } catch (IllegalArgumentException e) {
      malformed.increment();
      LOG.warn("[feed: {}] tick seq {} cannot be stored: {}", settings.name(), t.seq(), e.getMessage());
      return;
    }
    if (outcome.dropped()) {
      return;
    }
    Future<AppendResult> appended = outcome.afterAppend().apply(
        log.append(outcome.envelope(), outcome.dedup() ? DedupKey.explicitId(source, id) : null));
    long seq = t.seq();
    appended.onComplete(ar -> {
      if (ar.failed()) {
        appendFailed(seq, ar.cause());
      } else if (seq > durableSeq) {
        durableSeq = seq;
      }
    });
    applyBackpressure();
  }

  /**
   * The log refused a tick (queue full, closing, write error): rewind to it, drop the held
   * ticks and reset the connection; the next connection's first tick opens a gap from it,
   * so the feed replays the range (ticks stored meanwhile are duplicates the dedup index drops).
   */
  private void appendFailed(long seq, Throwable cause) {
    appendFailures.increment();
    if (stopping) {
      return;
    }
    if (seq < expected) {
      LOG.warn("[feed: {}] the log refused tick seq {} ({}); resetting the connection to have it replayed",
          settings.name(), seq, cause.toString());
      expected = seq;
      held.clear();
      heldCount = 0;
      cancel(gapTimer);
      gapTimer = -1;
    }
    NetSocket s = socket;
    if (s != null) {
      socket = null;
      connected = false;
      clearPause();
      s.close();
      scheduleReconnect();
    }
  }

  private void applyBackpressure() {
    NetSocket s = socket;
    if (s == null || paused || log.queuePressure() < PAUSE_AT) {
      return;
    }
    paused = true;
    s.pause();
    pauses.increment();
    // the quota can keep the pressure high with no group commit to wake us: check periodically too
    pausedTimer = vertx.setPeriodic(PAUSED_CHECK_MS, id -> resumeIfLow());
  }

  private void resumeIfLow() {
    if (!paused || log.queuePressure() > RESUME_AT) {
      return;
    }
    paused = false;
    cancel(pausedTimer);
    pausedTimer = -1;
    NetSocket s = socket;
    if (s != null && !stopping) {
      s.resume();
    }
  }

  private void clearPause() {
    paused = false;
    cancel(pausedTimer);
    pausedTimer = -1;
  }

  private void cancel(long timer) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
