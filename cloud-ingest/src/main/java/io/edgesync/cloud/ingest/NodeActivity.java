package io.edgesync.cloud.ingest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What each node did recently, for the dashboard: last seen, batches and events. Only nodes
 * that passed mTLS with a fleet certificate appear, so the map is bounded by the fleet size.
 * Thread-safe; updated from event loops.
 */
public final class NodeActivity {
  /** Counters of one node. */
  public static final class Stats {
    private volatile long lastSeenMs;
    private final LongAdder batches = new LongAdder();
    private final LongAdder eventsWritten = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder refused = new LongAdder();

    public long lastSeenMs() {
      return lastSeenMs;
    }

    /** Batches acknowledged with 200. */
    public long batches() {
      return batches.sum();
    }

    public long eventsWritten() {
      return eventsWritten.sum();
    }

    public long duplicates() {
      return duplicates.sum();
    }

    /** Batches answered with anything but 200. */
    public long refused() {
      return refused.sum();
    }
  }

  private final Map<String, Stats> nodes = new ConcurrentHashMap<>();

  /** Records a request from {@code nodeId} (certificate CN). */
  public void seen(String nodeId) {
    stats(nodeId).lastSeenMs = System.currentTimeMillis();
  }

  void acknowledged(String nodeId, int written, int duplicates) {
    Stats s = stats(nodeId);
    s.batches.increment();
    s.eventsWritten.add(written);
    s.duplicates.add(duplicates);
  }

  void refused(String nodeId) {
    stats(nodeId).refused.increment();
  }

  /** How many nodes sent a request at or after {@code sinceMs} (epoch ms). */
  public int activeSince(long sinceMs) {
    int n = 0;
    for (Stats s : nodes.values()) {
      if (s.lastSeenMs >= sinceMs) {
        n++;
      }
    }
    return n;
  }

  /** The nodes seen since start, sorted by id. */
  public Map<String, Stats> snapshot() {
    return new TreeMap<>(nodes);
  }

  private Stats stats(String nodeId) {
    return nodes.computeIfAbsent(nodeId, k -> new Stats());
  }
}
