package io.edgesync.edge.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadSpansTest {
  private final ReadSpans spans = new ReadSpans(2, 3);

  private long covered(long from, long to, List<long[]> gaps) {
    return spans.covered(0, from, to, gaps);
  }

  @Test
  void runsThatTileTheRangeAreSummedWithoutGaps() {
    spans.record(0, spans.generation(0), 1, 10, 1000);
    spans.record(0, spans.generation(0), 11, 15, 500);
    List<long[]> gaps = new ArrayList<>();

    assertEquals(1500, covered(1, 15, gaps));
    assertEquals(0, gaps.size());
    // the other class is untouched
    assertEquals(0, spans.covered(1, 1, 15, gaps));
    assertArrayEquals(new long[] {1, 15}, gaps.get(0));
  }

  @Test
  void whatNoRunCoversIsAGapAndARunReachingPastTheEndIsNotUsed() {
    spans.record(0, spans.generation(0), 5, 9, 50);
    spans.record(0, spans.generation(0), 12, 20, 90);
    List<long[]> gaps = new ArrayList<>();

    // 1..4 unread, 5..9 read, 10..11 unread, 12..20 reaches past 15
    assertEquals(50, covered(1, 15, gaps));
    assertEquals(3, gaps.size());
    assertArrayEquals(new long[] {1, 4}, gaps.get(0));
    assertArrayEquals(new long[] {10, 11}, gaps.get(1));
    assertArrayEquals(new long[] {12, 15}, gaps.get(2));

    // a range starting inside a run (events evicted meanwhile) reads up to the next run
    gaps.clear();
    assertEquals(90, covered(7, 20, gaps));
    assertEquals(1, gaps.size());
    assertArrayEquals(new long[] {7, 11}, gaps.get(0));
  }

  @Test
  void droppedRunsAreGoneAndTheBoundHolds() {
    spans.record(0, spans.generation(0), 1, 10, 100);
    spans.record(0, spans.generation(0), 11, 20, 100);
    spans.record(0, spans.generation(0), 21, 30, 100);
    // at the bound (3): a new run is not kept, a re-read of a kept start replaces it
    spans.record(0, spans.generation(0), 31, 40, 100);
    spans.record(0, spans.generation(0), 21, 25, 60);
    assertEquals(3, spans.size(0));
    List<long[]> gaps = new ArrayList<>();
    assertEquals(260, covered(1, 25, gaps));
    assertEquals(0, gaps.size());

    spans.dropThrough(0, 11);
    assertEquals(1, spans.size(0));
    assertEquals(60, covered(21, 25, gaps));
  }

  @Test
  void aReadThatStartedBeforeARewriteIsNotRecorded() {
    long before = spans.generation(0);
    spans.record(0, before, 1, 10, 100);

    // a downsample rewrites 1..8: what was read of them is stale
    spans.rewritten(0, 8);
    spans.record(0, before, 11, 20, 100);

    assertEquals(0, spans.size(0));
    spans.record(0, spans.generation(0), 11, 20, 100);
    assertEquals(1, spans.size(0));
  }
}
