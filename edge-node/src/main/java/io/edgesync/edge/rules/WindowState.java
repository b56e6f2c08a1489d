package io.edgesync.edge.rules;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The window of one rule for one source, by event time (semantics in docs/RULES.md):
 * <ul>
 *   <li>the watermark is the newest event time seen; an event older than
 *       {@code watermark - lateness} is <b>late</b>: {@link #offer} returns null, nothing is
 *       counted;</li>
 *   <li>tumbling: windows {@code [k*size, (k+1)*size)}; the view is the window holding the
 *       event's time, the event included; windows ending at or before
 *       {@code watermark - lateness} are dropped;</li>
 *   <li>sliding: the view is every value with time in {@code (t - size, t]} for the event's
 *       time {@code t}, the event included; values at or before
 *       {@code watermark - lateness - size} are dropped.</li>
 * </ul>
 * Bounded: at most {@link #MAX_POINTS} values per sliding window (the oldest go first,
 * counted by the caller through {@link #evictedPoints()}); a tumbling window keeps at most
 * {@code lateness/size + 2} windows.
 *
 * <p>Thread-safety: every method is synchronized (one source is normally on one event loop;
 * a session takeover may move it; the snapshot reads from a worker).
 */
final class WindowState {
  static final int MAX_POINTS = 10_000;

  private final WindowSpec spec;
  private long watermark = Long.MIN_VALUE;
  // sliding: values sorted by time (ties in arrival order)
  private long[] ts = new long[0];
  private double[] vs = new double[0];
  private int n;
  private long evicted;
  // tumbling: window start -> aggregate
  private final TreeMap<Long, Agg> windows = new TreeMap<>();

  WindowState(WindowSpec spec) {
    this.spec = spec;
  }

  /** One tumbling window's running aggregate. */
  private static final class Agg {
    long count;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long tFirst;
    double vFirst;
    long tLast;
    double vLast;

    void add(long t, double v) {
      if (count == 0 || t < tFirst) {
        tFirst = t;
        vFirst = v;
      }
      if (count == 0 || t >= tLast) {
        tLast = t;
        vLast = v;
      }
      count++;
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }

    WindowView view() {
      return WindowView.of(count, sum, min, max, tFirst, vFirst, tLast, vLast);
    }
  }

  /**
   * Adds the event at {@code t} (its value when {@code hasValue}) and returns the view the rule
   * evaluates against, or null when the event is late.
   */
  synchronized WindowView offer(long t, boolean hasValue, double v) {
    if (watermark != Long.MIN_VALUE && t < watermark - spec.latenessMs()) {
      return null;
    }
    if (t > watermark) {
      watermark = t;
      evict();
    }
    return spec.sliding() ? slide(t, hasValue, v) : tumble(t, hasValue, v);
  }

  /** Newest event time seen (Long.MIN_VALUE when none). */
  synchronized long watermark() {
    return watermark;
  }

  /** Sliding values dropped because of {@link #MAX_POINTS}, since the last call. */
  synchronized long evictedPoints() {
    long e = evicted;
    evicted = 0;
    return e;
  }

  private WindowView tumble(long t, boolean hasValue, double v) {
    long start = Math.floorDiv(t, spec.sizeMs()) * spec.sizeMs();
    Agg a = windows.get(start);
    if (hasValue) {
      if (a == null) {
        a = new Agg();
        windows.put(start, a);
      }
      a.add(t, v);
    }
    return a == null ? WindowView.EMPTY : a.view();
  }

  private WindowView slide(long t, boolean hasValue, double v) {
    if (hasValue) {
      insert(t, v);
    }
    int from = firstAbove(t - spec.sizeMs());
    int to = firstAbove(t); // exclusive
    long count = to - from;
    if (count <= 0) {
      return WindowView.EMPTY;
    }
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = from; i < to; i++) {
      double x = vs[i];
      sum += x;
      if (x < min) {
        min = x;
      }
      if (x > max) {
        max = x;
      }
    }
    return WindowView.of(count, sum, min, max, ts[from], vs[from], ts[to - 1], vs[to - 1]);
  }

  /** Index of the first value with time > {@code t}. */
  private int firstAbove(long t) {
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ts[mid] <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private void insert(long t, double v) {
    if (n == MAX_POINTS) {
      dropFirst(1);
      evicted++;
    }
    if (n == ts.length) {
      int cap = Math.min(MAX_POINTS, Math.max(8, n * 2));
      ts = Arrays.copyOf(ts, cap);
      vs = Arrays.copyOf(vs, cap);
    }
    int at = firstAbove(t);
    System.arraycopy(ts, at, ts, at + 1, n - at);
    System.arraycopy(vs, at, vs, at + 1, n - at);
    ts[at] = t;
    vs[at] = v;
    n++;
  }

  private void dropFirst(int k) {
    System.arraycopy(ts, k, ts, 0, n - k);
    System.arraycopy(vs, k, vs, 0, n - k);
    n -= k;
  }

  private void evict() {
    long horizon = watermark - spec.latenessMs();
    if (spec.sliding()) {
      int k = firstAbove(horizon - spec.sizeMs());
      if (k > 0) {
        dropFirst(k);
      }
    } else {
      windows.headMap(horizon - spec.sizeMs(), true).clear();
    }
  }

  // ------------------------------------------------------------- snapshot

  synchronized void write(DataOutput out) throws IOException {
    out.writeLong(watermark);
    if (spec.sliding()) {
      out.writeInt(n);
      for (int i = 0; i < n; i++) {
        out.writeLong(ts[i]);
        out.writeDouble(vs[i]);
      }
    } else {
      out.writeInt(windows.size());
      for (Map.Entry<Long, Agg> e : windows.entrySet()) {
        Agg a = e.getValue();
        out.writeLong(e.getKey());
        out.writeLong(a.count);
        out.writeDouble(a.sum);
        out.writeDouble(a.min);
        out.writeDouble(a.max);
        out.writeLong(a.tFirst);
        out.writeDouble(a.vFirst);
        out.writeLong(a.tLast);
        out.writeDouble(a.vLast);
      }
    }
  }

  static WindowState read(WindowSpec spec, DataInput in) throws IOException {
    WindowState w = new WindowState(spec);
    w.watermark = in.readLong();
    int size = in.readInt();
    if (size < 0 || size > MAX_POINTS) {
      throw new IOException("bad window size " + size);
    }
    if (spec.sliding()) {
      w.ts = new long[Math.max(8, size)];
      w.vs = new double[Math.max(8, size)];
      for (int i = 0; i < size; i++) {
        w.ts[i] = in.readLong();
        w.vs[i] = in.readDouble();
      }
      w.n = size;
    } else {
      for (int i = 0; i < size; i++) {
        long start = in.readLong();
        Agg a = new Agg();
        a.count = in.readLong();
        a.sum = in.readDouble();
        a.min = in.readDouble();
        a.max = in.readDouble();
        a.tFirst = in.readLong();
        a.vFirst = in.readDouble();
        a.tLast = in.readLong();
        a.vLast = in.readDouble();
        w.windows.put(start, a);
      }
    }
    return w;
  }
}
