package io.edgesync.edge.log;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The envelope bytes of the runs of events that reads returned, per class, so that a release
 * counts the bytes it frees without reading the released events again: the forwarder has just
 * read them to send them, and a release follows each acknowledged batch. A run is recorded as
 * {@code start .. end → bytes}; a release sums the runs that tile its range and reads only what
 * no run covers (a gap).
 *
 * <p>A stored event never changes, except when a downsample rewrites the oldest live events into
 * summaries ({@link #rewritten}): runs from before it are dropped, and a read that started before
 * it is not recorded (the class's generation moved on in between).
 *
 * <p>Bounded: at most {@code maxRuns} runs per class; beyond, reads are not recorded and releases
 * read their gaps. Thread-safe (forwarder workers record, releases and the writer drop).
 */
final class ReadSpans {
  private final List<TreeMap<Long, long[]>> runs = new ArrayList<>();
  private final long[] generation;
  private final int maxRuns;

  ReadSpans(int classes, int maxRuns) {
    for (int c = 0; c < classes; c++) {
      runs.add(new TreeMap<>());
    }
    this.generation = new long[classes];
    this.maxRuns = maxRuns;
  }

  /** The class's generation, taken before a read's iterator is created and passed to {@link #record}. */
  synchronized long generation(int c) {
    return generation[c];
  }

  /** Records that events {@code start .. end} of class {@code c} hold {@code bytes} envelope bytes. */
  synchronized void record(int c, long generation, long start, long end, long bytes) {
    TreeMap<Long, long[]> m = runs.get(c);
    if (generation != this.generation[c] || (m.size() >= maxRuns && !m.containsKey(start))) {
      return;
    }
    m.put(start, new long[] {end, bytes});
  }

  /**
   * Bytes of the recorded runs that tile {@code from .. to} of class {@code c}, following them
   * from {@code from}; each stretch no run covers is added to {@code gaps} as {@code {from, to}}.
   * A run that reaches past {@code to} is not used (its stretch is a gap).
   */
  synchronized long covered(int c, long from, long to, List<long[]> gaps) {
    TreeMap<Long, long[]> m = runs.get(c);
    long bytes = 0;
    long next = from;
    while (next <= to) {
      long[] run = m.get(next);
      if (run != null && run[0] <= to) {
        bytes += run[1];
        next = run[0] + 1;
        continue;
      }
      // a gap until the next run that starts inside the range
      Map.Entry<Long, long[]> after = m.higherEntry(next);
      long gapEnd = after == null || after.getKey() > to ? to : after.getKey() - 1;
      gaps.add(new long[] {next, gapEnd});
      next = gapEnd + 1;
    }
    return bytes;
  }

  /** Drops the runs of class {@code c} that start at or below {@code classSeq} (released or evicted). */
  synchronized void dropThrough(int c, long classSeq) {
    runs.get(c).headMap(classSeq, true).clear();
  }

  /** Events of class {@code c} up to {@code classSeq} were rewritten (downsampled): what was read of them is stale. */
  synchronized void rewritten(int c, long classSeq) {
    generation[c]++;
    dropThrough(c, classSeq);
  }

  /** Runs recorded for class {@code c} (tests). */
  synchronized int size(int c) {
    return runs.get(c).size();
  }
}
