package io.edgesync.edge.sources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.HostPort;
import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.edge.mqtt.IngestHook;
import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.edge.testsupport.Poll;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feed source against a tiny in-test TCP feed server and a real RocksDB log: gap →
 * replay request → filled in order; a too-long line counted and skipped; feed down then up
 * → reconnect, and the ticks missed meanwhile are asked again; an unanswered gap declared lost.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FeedSourceTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  private EventLog log;
  private Vertx vertx;

  /** A feed server: remembers the lines the edge sends and its connections. */
  static final class TestFeed {
    final NetServer server;
    final List<NetSocket> clients = new CopyOnWriteArrayList<>();
    final List<String> received = new CopyOnWriteArrayList<>();

    TestFeed(Vertx vertx, int port) {
      server = vertx.createNetServer().connectHandler(s -> {
        clients.add(s);
        StringBuilder line = new StringBuilder();
        s.handler(b -> {
          for (char c : b.toString(StandardCharsets.UTF_8).toCharArray()) {
            if (c == '\n') {
              received.add(line.toString());
              line.setLength(0);
            } else {
              line.append(c);
            }
          }
        });
        s.closeHandler(v -> clients.remove(s));
      });
      if (port == 0) {
        Poll.await(server.listen(belowEphemeralRange(), "127.0.0.1"), 10);
        return;
      }
      // the same port again, right after the previous server closed: its sockets may take a
      // moment to let go of it, so retry the bind until a deadline
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try {
          Poll.await(server.listen(port, "127.0.0.1"), 10);
          return;
        } catch (AssertionError bindFailed) {
          if (System.nanoTime() > deadline) {
            throw bindFailed;
          }
          java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
        }
      }
    }

    /**
     * A free port below the kernel's ephemeral range (32768+). A client reconnecting on
     * loopback to a port inside that range, while nothing listens, can be handed the very
     * same number as its own source port and connect to itself (TCP simultaneous open),
     * which then holds the port the test wants to listen on again.
     */
    private static int belowEphemeralRange() {
      java.util.Random r = new java.util.Random();
      for (int i = 0; i < 200; i++) {
        int candidate = 20_000 + r.nextInt(12_000);
        try (java.net.ServerSocket probe = new java.net.ServerSocket(candidate, 1,
            java.net.InetAddress.getLoopbackAddress())) {
          return candidate;
        } catch (java.io.IOException taken) {
          // try another
        }
      }
      throw new IllegalStateException("no free port in 20000-31999");
    }

    int port() {
      return server.actualPort();
    }

    void send(String text) {
      Poll.until("a client connected", WAIT, () -> !clients.isEmpty());
      Poll.await(clients.get(0).write(Buffer.buffer(text, "UTF-8")), 10);
    }

    void ticks(long... seqs) {
      StringBuilder b = new StringBuilder();
      for (long s : seqs) {
        b.append(tick(s)).append('\n');
      }
      send(b.toString());
    }

    void close() {
      Poll.await(server.close(), 10);
    }
  }

  static String tick(long seq) {
    String symbol = seq % 2 == 0 ? "ACME" : "GLOBX";
    return "{\"seq\":" + seq + ",\"symbol\":\"" + symbol + "\",\"price\":101.25,\"size\":300,\"ts\":" + (1_700_000_000_000L
        + seq) + "}";
  }

  private FeedSource start(Vertx vertx, SimpleMeterRegistry registry, int port, long startSeq, Duration gapTimeout,
      int maxLineBytes) {
    this.vertx = vertx;
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx, registry);
    return deploy(vertx, registry, port, startSeq, gapTimeout, maxLineBytes);
  }

  /** A feed source on the open log (another one after a stop: an edge restart). */
  private FeedSource deploy(Vertx vertx, SimpleMeterRegistry registry, int port, long startSeq, Duration gapTimeout,
      int maxLineBytes) {
    FeedSettings s = new FeedSettings("f1", new HostPort("127.0.0.1", port), "market/{symbol}/ticks",
        Priority.NORMAL, startSeq, maxLineBytes, true, gapTimeout, 1000, Duration.ofMillis(20),
        Duration.ofMillis(200));
    FeedSource f = new FeedSource(s, log, IngestHook.NONE, registry, Clock.systemUTC());
    Poll.await(vertx.deployVerticle(f), 10);
    return f;
  }

  @AfterEach
  void closeLog() {
    if (vertx != null) {
      Poll.await(vertx.close(), 20);
    }
    if (log != null) {
      log.close();
    }
  }

  private List<String> storedIds() {
    return LogContents.of(log, Priority.NORMAL).stream().map(Event::explicitId).toList();
  }

  private static List<String> ids(long from, long to) {
    return java.util.stream.LongStream.rangeClosed(from, to).mapToObj(s -> "f1:" + s).toList();
  }

  @Test
  void aGapIsAskedAgainAndFilledBeforeTheLaterTicksAreStored(Vertx vertx) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TestFeed feed = new TestFeed(vertx, 0);
    FeedSource source = start(vertx, registry, feed.port(), 1, Duration.ofSeconds(30), 65_536);

    feed.ticks(1, 2, 4, 5, 7);
    Poll.until("two replay requests", WAIT, () -> feed.received.size() >= 2);
    assertEquals(List.of("{\"replay\":{\"from\":3,\"to\":3}}", "{\"replay\":{\"from\":6,\"to\":6}}"),
        feed.received);
    Poll.until("ticks 1-2 stored, later ones held", WAIT, this::storedIds, ids(1, 2)::equals);
    assertEquals(3, source.status().getInteger("heldTicks")); // 4, 5, 7

    feed.ticks(6, 3); // replays, out of order
    Poll.until("ticks 1..7 in order", WAIT, this::storedIds, ids(1, 7)::equals);
    List<Event> events = LogContents.of(log, Priority.NORMAL);
    Event e4 = events.get(3);
    assertEquals("feed:f1", e4.source());
    assertEquals("market/ACME/ticks", e4.topic());
    assertEquals(1_700_000_000_004L, e4.eventTimeMs());
    assertEquals(tick(4), new String(e4.payload(), StandardCharsets.UTF_8));
    assertEquals(2.0, registry.get("edge.feed.gaps").tag("feed", "f1").counter().count());
    assertEquals(2.0, registry.get("edge.feed.gap.messages").tag("feed", "f1").counter().count());
    assertEquals(0.0, registry.get("edge.feed.gap.lost.messages").tag("feed", "f1").counter().count());
    assertEquals(7L, source.status().getLong("lastSeq"));
    assertEquals(0, source.status().getInteger("heldTicks"));

    feed.ticks(4, 8); // a late duplicate is dropped
    Poll.until("tick 8", WAIT, this::storedIds, ids(1, 8)::equals);
    assertEquals(1L, source.status().getLong("duplicates"));
  }

  @Test
  void aTooLongLineIsCountedAndSkipped(Vertx vertx) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TestFeed feed = new TestFeed(vertx, 0);
    FeedSource source = start(vertx, registry, feed.port(), 1, Duration.ofSeconds(30), 256);

    String longLine = "{\"seq\":2,\"symbol\":\"ACME\",\"pad\":\"" + "x".repeat(1000) + "\"}";
    feed.send(tick(1) + "\n" + longLine.substring(0, 100));
    feed.send(longLine.substring(100, 600));
    feed.send(longLine.substring(600) + "\nnot json\n" + tick(2) + "\n");
    Poll.until("ticks 1 and 2", WAIT, this::storedIds, ids(1, 2)::equals);
    assertEquals(1L, source.status().getLong("rejectedTooLong"));
    assertEquals(1L, source.status().getLong("rejectedMalformed"));
    assertEquals(0L, source.status().getLong("gaps"));
    assertEquals(1.0, registry.get("edge.feed.rejected").tag("reason", "too_long").counter().count());
  }

  @Test
  void aFeedDownThenUpIsReconnectedAndWhatWasMissedIsReplayed(Vertx vertx) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TestFeed feed = new TestFeed(vertx, 0);
    int port = feed.port();
    FeedSource source = start(vertx, registry, port, 0, Duration.ofSeconds(30), 65_536);

    feed.ticks(10, 11); // startSeq 0: starts where the feed is
    Poll.until("ticks 10-11", WAIT, this::storedIds, ids(10, 11)::equals);
    feed.clients.forEach(NetSocket::close);
    feed.close();
    Poll.until("disconnected", WAIT, () -> !source.status().getBoolean("connected"));

    TestFeed again = new TestFeed(vertx, port);
    Poll.until("reconnected", WAIT, () -> source.status().getBoolean("connected"));
    // at least one: a reconnect attempt can land on the port while the new server binds it
    assertTrue(source.status().getLong("reconnects") >= 1, source.status().encode());
    again.ticks(14);
    Poll.until("replay request for 12..13", WAIT, () -> again.received.contains("{\"replay\":{\"from\":12,\"to\":13}}"));
    again.ticks(12, 13);
    Poll.until("ticks 10..14", WAIT, this::storedIds, ids(10, 14)::equals);
    assertEquals(1L, source.status().getLong("gaps"));
  }

  @Test
  void afterARestartTheTicksSentWhileTheEdgeWasDownAreAskedAgain(Vertx vertx) {
    // GIVEN ticks 10..12 stored (startSeq 0) and the source stopped (an edge restart)
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TestFeed feed = new TestFeed(vertx, 0);
    FeedSource first = start(vertx, registry, feed.port(), 0, Duration.ofSeconds(30), 65_536);
    feed.ticks(10, 11, 12);
    Poll.until("ticks 10-12 durable", WAIT, () -> first.status().getLong("durableSeq") == 12);
    Poll.await(vertx.undeploy(first.deploymentID()), 10);

    // WHEN a new source on the same log connects while the feed has moved on to 16
    FeedSource second = deploy(vertx, new SimpleMeterRegistry(), feed.port(), 0, Duration.ofSeconds(30), 65_536);
    Poll.until("reconnected", WAIT, () -> second.status().getBoolean("connected"));
    assertEquals(12L, second.status().getLong("lastSeq"));
    feed.ticks(16);

    // THEN it resumes after the saved 12: 13..15 are asked for, and the log ends up with 10..16 in order
    Poll.until("replay request for 13..15", WAIT, () -> feed.received.contains("{\"replay\":{\"from\":13,\"to\":15}}"));
    feed.ticks(13, 14, 15);
    Poll.until("ticks 10..16", WAIT, this::storedIds, ids(10, 16)::equals);
  }

  @Test
  void aGapTheFeedDoesNotReplayIsDeclaredLostAfterTheTimeout(Vertx vertx) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    TestFeed feed = new TestFeed(vertx, 0);
    FeedSource source = start(vertx, registry, feed.port(), 1, Duration.ofMillis(300), 65_536);

    feed.ticks(1, 4, 5);
    Poll.until("ticks 1, 4, 5 after the gap timeout", WAIT, this::storedIds, List.of("f1:1", "f1:4", "f1:5")::equals);
    assertEquals(2L, source.status().getLong("lostMessages"));
    feed.ticks(2, 6); // too late: dropped, order kept
    Poll.until("tick 6", WAIT, this::storedIds, List.of("f1:1", "f1:4", "f1:5", "f1:6")::equals);
    assertEquals(1L, source.status().getLong("duplicates"));
  }
}
