package io.edgesync.cloud.kafka;

import io.edgesync.model.Priority;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The committed watermark of every (node, class): the highest class sequence number whose event
 * is committed in {@code edge.events}, as recorded in {@code edge.watermarks} in the same
 * transaction.
 *
 * <p>Threads: only the {@link KafkaEventWriter} thread mutates it (after a commit, or when it
 * reloads the topic). Any thread may read; a read sees each entry's latest committed value.
 */
public final class NodeWatermarks {
  /** A watermark's identity: one node, one priority class. */
  public record Key(String nodeId, Priority priority) {
    public Key {
      Objects.requireNonNull(nodeId, "nodeId");
      Objects.requireNonNull(priority, "priority");
    }

    @Override
    public String toString() {
      return nodeId + "/" + priority.label();
    }
  }

  /**
   * @param committedClassSeq highest committed class sequence number (0 = nothing yet)
   * @param seq               the node's global sequence number of that event
   * @param logEpoch          the epoch of the edge log whose events these numbers count (frame
   *                          flag EPOCH; 0 = not known: written by an edge without epochs, or
   *                          before epochs existed)
   */
  public record Watermark(long committedClassSeq, long seq, long logEpoch) {
    public static final Watermark NONE = new Watermark(0, 0, 0);
  }

  private final Map<Key, Watermark> committed = new ConcurrentHashMap<>();

  /** The committed class seq of {@code key}, 0 when nothing is committed. */
  public long committedClassSeq(Key key) {
    return committed.getOrDefault(key, Watermark.NONE).committedClassSeq();
  }

  /** The committed watermark of {@code key}, {@link Watermark#NONE} when nothing is committed. */
  public Watermark get(Key key) {
    return committed.getOrDefault(key, Watermark.NONE);
  }

  /** The committed class seqs of one node, every class present (0 when none). */
  public Map<Priority, Long> forNode(String nodeId) {
    Map<Priority, Long> out = new EnumMap<>(Priority.class);
    for (Priority p : Priority.values()) {
      out.put(p, committedClassSeq(new Key(nodeId, p)));
    }
    return out;
  }

  /** An immutable copy of every entry, for the HTTP API. */
  public Map<Key, Watermark> snapshot() {
    return Map.copyOf(committed);
  }

  /** A read-only copy of {@code entries} (for views over several writers). */
  public static NodeWatermarks of(Map<Key, Watermark> entries) {
    NodeWatermarks w = new NodeWatermarks();
    w.committed.putAll(entries);
    return w;
  }

  /** Writer thread only: applies the watermarks of a committed transaction. */
  void apply(Map<Key, Watermark> updates) {
    committed.putAll(updates);
  }

  /** Writer thread only: replaces everything with what the topic holds. */
  void replaceAll(Map<Key, Watermark> loaded) {
    committed.keySet().retainAll(loaded.keySet());
    committed.putAll(loaded);
  }
}
