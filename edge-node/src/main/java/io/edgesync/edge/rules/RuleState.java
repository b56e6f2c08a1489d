package io.edgesync.edge.rules;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mutable state of one rule id: per-source windows, last alert times (cooldown) and
 * downsample counters. Kept across reloads while the rule id stays (the windows only while
 * the window definition is unchanged) and snapshotted to the {@code state} store.
 *
 * <p>Bounded: at most {@link #MAX_SOURCES} sources per map; a new source beyond it evicts one
 * (for windows the one with the oldest watermark), counted by the engine.
 * Thread-safety: concurrent maps; windows synchronize themselves.
 */
final class RuleState {
  static final int MAX_SOURCES = 10_000;
  private static final int FORMAT = 1;

  final String ruleId;
  final WindowSpec window; // null when the rule has none
  final ConcurrentHashMap<String, WindowState> windows;
  final ConcurrentHashMap<String, Long> lastAlertMs;
  final ConcurrentHashMap<String, AtomicLong> downsampled;
  final AtomicLong evictions = new AtomicLong();

  RuleState(String ruleId, WindowSpec window) {
    this(ruleId, window, new ConcurrentHashMap<>(), new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
  }

  private RuleState(String ruleId, WindowSpec window, ConcurrentHashMap<String, WindowState> windows,
      ConcurrentHashMap<String, Long> lastAlertMs, ConcurrentHashMap<String, AtomicLong> downsampled) {
    this.ruleId = ruleId;
    this.window = window;
    this.windows = windows;
    this.lastAlertMs = lastAlertMs;
    this.downsampled = downsampled;
  }

  /** The state for {@code spec} after a reload: this one's maps, windows only when the definition is the same. */
  RuleState carryOver(RuleSpec spec) {
    boolean sameWindow = spec.window() != null && window != null && spec.window().equals(window);
    return new RuleState(ruleId, spec.window(), sameWindow ? windows : new ConcurrentHashMap<>(), lastAlertMs,
        downsampled);
  }

  WindowState windowOf(String source) {
    WindowState w = windows.get(source);
    if (w != null) {
      return w;
    }
    if (windows.size() >= MAX_SOURCES) {
      evictOldestWindow();
    }
    return windows.computeIfAbsent(source, s -> new WindowState(window));
  }

  /** Whether an alert may fire now for {@code source} (and records it when so). */
  boolean tryAlert(String source, long nowMs, long cooldownMs) {
    if (cooldownMs <= 0) {
      return true;
    }
    if (!lastAlertMs.containsKey(source) && lastAlertMs.size() >= MAX_SOURCES) {
      evictAny(lastAlertMs);
    }
    boolean[] fired = new boolean[1];
    lastAlertMs.compute(source, (k, prev) -> {
      if (prev == null || nowMs - prev >= cooldownMs) {
        fired[0] = true;
        return nowMs;
      }
      return prev;
    });
    return fired[0];
  }

  /** Counts a matching event of {@code source}; true for the 1st, (every+1)th, ... (the ones kept). */
  boolean keepSample(String source, int every) {
    AtomicLong c = downsampled.get(source);
    if (c == null) {
      if (downsampled.size() >= MAX_SOURCES) {
        evictAny(downsampled);
      }
      c = downsampled.computeIfAbsent(source, s -> new AtomicLong());
    }
    return (c.getAndIncrement() % every) == 0;
  }

  private void evictOldestWindow() {
    String oldest = null;
    long wm = Long.MAX_VALUE;
    for (Map.Entry<String, WindowState> e : windows.entrySet()) {
      long w = e.getValue().watermark();
      if (w < wm) {
        wm = w;
        oldest = e.getKey();
      }
    }
    if (oldest != null && windows.remove(oldest) != null) {
      evictions.incrementAndGet();
    }
  }

  private void evictAny(ConcurrentHashMap<String, ?> m) {
    Iterator<String> it = m.keySet().iterator();
    if (it.hasNext()) {
      it.next();
      it.remove();
      evictions.incrementAndGet();
    }
  }

  // ------------------------------------------------------------- snapshot

  /** The snapshot value: format, window definition, windows, cooldowns, counters. */
  byte[] snapshot() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(FORMAT);
    out.writeUTF(window == null ? "" : window.describe());
    out.writeInt(window == null ? 0 : windows.size());
    if (window != null) {
      for (Map.Entry<String, WindowState> e : windows.entrySet()) {
        out.writeUTF(e.getKey());
        e.getValue().write(out);
      }
    }
    Map<String, Long> alerts = Map.copyOf(lastAlertMs);
    out.writeInt(alerts.size());
    for (Map.Entry<String, Long> e : alerts.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue());
    }
    Map<String, AtomicLong> counters = Map.copyOf(downsampled);
    out.writeInt(counters.size());
    for (Map.Entry<String, AtomicLong> e : counters.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeLong(e.getValue().get());
    }
    out.flush();
    return bytes.toByteArray();
  }

  /** Loads a snapshot into this (empty) state; windows only when the definition matches. */
  void restore(byte[] value) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(value));
    int format = in.readByte();
    if (format != FORMAT) {
      throw new IOException("unknown snapshot format " + format);
    }
    String def = in.readUTF();
    boolean sameWindow = window != null && def.equals(window.describe());
    int nWindows = in.readInt();
    for (int i = 0; i < nWindows; i++) {
      String source = in.readUTF();
      // the definition in the snapshot decides how to read; keep it only when unchanged
      WindowState w = WindowState.read(parse(def), in);
      if (sameWindow) {
        windows.put(source, w);
      }
    }
    int nAlerts = in.readInt();
    for (int i = 0; i < nAlerts; i++) {
      lastAlertMs.put(in.readUTF(), in.readLong());
    }
    int nCounters = in.readInt();
    for (int i = 0; i < nCounters; i++) {
      downsampled.put(in.readUTF(), new AtomicLong(in.readLong()));
    }
  }

  /** Inverse of {@link WindowSpec#describe()}: {@code type:size:field:lateness} (the field may hold ':'). */
  private static WindowSpec parse(String def) throws IOException {
    int first = def.indexOf(':');
    int second = def.indexOf(':', first + 1);
    int last = def.lastIndexOf(':');
    if (first < 0 || second < 0 || last <= second) {
      throw new IOException("bad window definition " + def);
    }
    try {
      return new WindowSpec(Long.parseLong(def.substring(first + 1, second)), def.startsWith("sliding"),
          def.substring(second + 1, last), Long.parseLong(def.substring(last + 1)));
    } catch (IllegalArgumentException e) {
      throw new IOException("bad window definition " + def, e);
    }
  }
}
