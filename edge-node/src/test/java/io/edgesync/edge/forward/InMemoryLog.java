package io.edgesync.edge.forward;

import io.edgesync.edge.log.LogReader;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.vertx.core.Context;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

/**
 * Test double of the durable log: one sorted map per class. It checks how the forwarder uses
 * it: blocking calls never on an event loop, never two releases of one class at a time, and
 * (through {@link #releaseGuard}) never a release beyond what the cloud committed. Every
 * breach is recorded in {@link #violations}.
 */
final class InMemoryLog implements LogReader {
  private final String nodeId;
  private final Map<Priority, ConcurrentSkipListMap<Long, byte[]>> events = new EnumMap<>(Priority.class);
  private final Map<Priority, AtomicLong> last = new EnumMap<>(Priority.class);
  private final Map<Priority, AtomicLong> released = new EnumMap<>(Priority.class);
  private final Map<Priority, AtomicBoolean> releasing = new EnumMap<>(Priority.class);
  private final AtomicLong seq = new AtomicLong();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  final List<String> violations = Collections.synchronizedList(new ArrayList<>());
  final AtomicLong releaseCalls = new AtomicLong();
  /** Called before each release with (class, classSeq); false is a violation. */
  volatile BiPredicate<Priority, Long> releaseGuard = (c, s) -> true;
  /** Called at the start of each read with (class, fromClassSeq), on the reading thread. */
  volatile BiConsumer<Priority, Long> beforeRead = (c, from) -> { };

  InMemoryLog(String nodeId) {
    this.nodeId = nodeId;
    for (Priority p : Priority.values()) {
      events.put(p, new ConcurrentSkipListMap<>());
      last.put(p, new AtomicLong());
      released.put(p, new AtomicLong());
      releasing.put(p, new AtomicBoolean());
    }
  }

  /**
   * Appends {@code count} events of class {@code c} (the caller acts as the log writer thread),
   * then notifies the durable listeners once.
   */
  void append(Priority c, int count, int payloadBytes) {
    synchronized (this) {
      long cs = store(c, count, payloadBytes);
      last.get(c).set(cs); // after the put: a reader that sees lastClassSeq finds the event
    }
    listeners.forEach(Runnable::run);
  }

  /**
   * Stores {@code count} events of class {@code c} where reads find them without publishing
   * them: lastClassSeq stays and no listener runs, as when the log writer thread stops between
   * writing a group and publishing it. {@link #publish} publishes them.
   */
  void appendUnpublished(Priority c, int count, int payloadBytes) {
    synchronized (this) {
      store(c, count, payloadBytes);
    }
  }

  /** Publishes what {@link #appendUnpublished} stored, then notifies the durable listeners. */
  void publish(Priority c) {
    synchronized (this) {
      ConcurrentSkipListMap<Long, byte[]> stored = events.get(c);
      if (!stored.isEmpty()) {
        last.get(c).set(Math.max(last.get(c).get(), stored.lastKey()));
      }
    }
    listeners.forEach(Runnable::run);
  }

  /** Puts {@code count} events after the highest stored (published or not); returns the last classSeq. */
  private long store(Priority c, int count, int payloadBytes) {
    long now = System.currentTimeMillis();
    ConcurrentSkipListMap<Long, byte[]> stored = events.get(c);
    long cs = Math.max(last.get(c).get(), stored.isEmpty() ? 0 : stored.lastKey());
    for (int i = 0; i < count; i++) {
      long s = seq.incrementAndGet();
      cs++;
      String json = "{\"n\":" + s + ",\"pad\":\"" + pad(s, Math.max(0, payloadBytes - 20)) + "\"}";
      Event e = new Event(s, cs, c, "dev-" + (s % 7), "sensors/dev-" + (s % 7) + "/temp", null, now, now,
          json.getBytes(StandardCharsets.UTF_8));
      stored.put(cs, EnvelopeCodec.encode(e));
    }
    return cs;
  }

  /** Deletes the {@code n} oldest events of {@code c} without moving its released watermark (like a quota eviction). */
  void evictOldest(Priority c, int n) {
    for (int i = 0; i < n && !events.get(c).isEmpty(); i++) {
      events.get(c).pollFirstEntry();
    }
  }

  /** Hex noise derived from {@code seed}: compresses about like real sensor JSON, unlike a run of one letter. */
  private static String pad(long seed, int length) {
    StringBuilder sb = new StringBuilder(length + 16);
    long x = seed * 0x9E3779B97F4A7C15L;
    while (sb.length() < length) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      sb.append(Long.toHexString(x & 0xFFFF));
    }
    sb.setLength(length);
    return sb.toString();
  }

  String nodeId() {
    return nodeId;
  }

  long total() {
    return seq.get();
  }

  int stored(Priority c) {
    return events.get(c).size();
  }

  @Override
  public List<byte[]> read(Priority c, long fromClassSeq, int maxEvents, int maxBytes) {
    blockingCall("read");
    beforeRead.accept(c, fromClassSeq);
    List<byte[]> out = new ArrayList<>();
    int bytes = 0;
    for (byte[] e : events.get(c).tailMap(fromClassSeq, true).values()) {
      if (!out.isEmpty() && (out.size() >= maxEvents || bytes + e.length > maxBytes)) {
        break;
      }
      out.add(e);
      bytes += e.length;
    }
    return out;
  }

  /** The log's epoch (EventLog draws one at random); a test sets another to play a recreated log. */
  volatile long epoch = 0x5eed_0001L;

  @Override
  public long logEpoch() {
    return epoch;
  }

  @Override
  public long lastClassSeq(Priority c) {
    return last.get(c).get();
  }

  @Override
  public long releasedClassSeq(Priority c) {
    return released.get(c).get();
  }

  @Override
  public void release(Priority c, long classSeq) {
    blockingCall("release");
    releaseCalls.incrementAndGet();
    if (!releasing.get(c).compareAndSet(false, true)) {
      violations.add("two concurrent releases of " + c);
    }
    try {
      if (!releaseGuard.test(c, classSeq)) {
        violations.add("release of " + c + " up to " + classSeq + " beyond what the cloud committed");
      }
      if (classSeq > released.get(c).get()) {
        events.get(c).headMap(classSeq, true).clear();
        released.get(c).set(classSeq);
      }
      Thread.onSpinWait();
    } finally {
      releasing.get(c).set(false);
    }
  }

  @Override
  public void onDurable(Runnable listener) {
    listeners.add(listener);
  }

  private void blockingCall(String what) {
    if (Context.isOnEventLoopThread()) {
      violations.add(what + " called on an event loop thread " + Thread.currentThread().getName());
    }
  }
}
