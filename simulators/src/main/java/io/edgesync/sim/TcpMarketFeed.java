package io.edgesync.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simulated market-data feed server (TCP, {@code market.mode=tcp}): newline-delimited
 * JSON ticks {@code {"seq":N,"symbol":"ACME","price":101.25,"size":300,"ts":<ms>}} at
 * {@code market.ticksPerSec}, the same live stream to every connected client (a client
 * gets ticks from the moment it connects). The last {@code market.replayBuffer} ticks are
 * kept, and a client line {@code {"replay":{"from":A,"to":B}}} re-sends the retained part
 * of [A, B] on that connection. {@code market.gapEvery=N} leaves every N-th seq out of the
 * live stream (kept for replay; never the last tick of {@code market.total}), so the
 * receiver sees sequence gaps. A client whose socket write queue is full misses live ticks
 * (it sees a gap and can ask for them), so a slow client never makes the server buffer
 * without bound. Everything runs on one event loop.
 */
final class TcpMarketFeed {
  private static final int MAX_REQUEST_LINE = 4096;
  private static final int MAX_TICKS_PER_ROUND = 20_000;

  private final Vertx vertx;
  private final String host;
  private final int port;
  private final List<String> symbols;
  private final double ticksPerSec;
  private final long total;
  private final int gapEvery;
  private final String[] ring;
  private final double[] prices;
  private final Set<NetSocket> clients = ConcurrentHashMap.newKeySet();
  final AtomicLong seq = new AtomicLong();
  final AtomicLong replayed = new AtomicLong();
  final AtomicLong replayRequests = new AtomicLong();
  final AtomicLong withheld = new AtomicLong();
  private long startedNanos;

  TcpMarketFeed(Vertx vertx, String host, int port, List<String> symbols, double ticksPerSec, long total,
      int gapEvery, int replayBuffer) {
    this.vertx = vertx;
    this.host = host;
    this.port = port;
    this.symbols = symbols;
    this.ticksPerSec = ticksPerSec;
    this.total = total;
    this.gapEvery = gapEvery;
    this.ring = new String[replayBuffer];
    this.prices = new double[symbols.size()];
    for (int i = 0; i < prices.length; i++) {
      prices[i] = 50 + 50 * i;
    }
  }

  /** Listens and starts ticking; the bound port. */
  Future<Integer> start() {
    NetServer server = vertx.createNetServer().connectHandler(this::onClient);
    return server.listen(port, host).map(s -> {
      startedNanos = System.nanoTime();
      vertx.setPeriodic(10, id -> tickRound());
      return s.actualPort();
    });
  }

  int clients() {
    return clients.size();
  }

  private void onClient(NetSocket s) {
    clients.add(s);
    s.closeHandler(v -> clients.remove(s));
    s.exceptionHandler(t -> s.close());
    StringBuilder line = new StringBuilder();
    s.handler(b -> {
      String text = b.toString(java.nio.charset.StandardCharsets.UTF_8);
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\n') {
          onRequest(s, line.toString().trim());
          line.setLength(0);
        } else if (line.length() < MAX_REQUEST_LINE) {
          line.append(c);
        }
      }
    });
  }

  private void onRequest(NetSocket s, String line) {
    if (line.isEmpty()) {
      return;
    }
    try {
      JsonObject replay = new JsonObject(line).getJsonObject("replay");
      long from = replay.getLong("from");
      long to = replay.getLong("to");
      replayRequests.incrementAndGet();
      long last = seq.get();
      long lowest = Math.max(1, last - ring.length + 1);
      StringBuilder b = new StringBuilder();
      for (long q = Math.max(from, lowest); q <= Math.min(to, last); q++) {
        b.append(ring[(int) (q % ring.length)]).append('\n');
        replayed.incrementAndGet();
        if (b.length() > 256 * 1024) {
          s.write(b.toString());
          b.setLength(0);
        }
      }
      if (b.length() > 0) {
        s.write(b.toString());
      }
    } catch (RuntimeException e) {
      System.err.println("market feed: ignoring a bad request line from " + s.remoteAddress() + ": " + e);
    }
  }

  private void tickRound() {
    long due = (long) ((System.nanoTime() - startedNanos) / 1e9 * ticksPerSec);
    if (total > 0) {
      due = Math.min(due, total);
    }
    long n = Math.min(due - seq.get(), MAX_TICKS_PER_ROUND);
    if (n <= 0) {
      return;
    }
    StringBuilder live = new StringBuilder();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (long i = 0; i < n; i++) {
      long q = seq.get() + 1;
      int k = r.nextInt(symbols.size());
      prices[k] = Math.max(0.01, prices[k] * (1 + r.nextGaussian() * 0.0005));
      String json = String.format(Locale.ROOT, "{\"seq\":%d,\"symbol\":\"%s\",\"price\":%.4f,\"size\":%d,\"ts\":%d}",
          q, symbols.get(k), prices[k], 1 + r.nextInt(500), System.currentTimeMillis());
      ring[(int) (q % ring.length)] = json;
      seq.set(q);
      if (gapEvery > 0 && q % gapEvery == 0 && q != total) {
        withheld.incrementAndGet(); // an injected gap: kept for replay only
      } else {
        live.append(json).append('\n');
      }
    }
    if (live.length() == 0) {
      return;
    }
    Buffer batch = Buffer.buffer(live.toString());
    for (NetSocket c : clients) {
      if (!c.writeQueueFull()) {
        c.write(batch);
      }
    }
  }
}
