package io.edgesync.edge.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StagedKeysTest {

  @Test
  void keysAreFoundByContentReplacedByTheNewestAndClearedForTheNextGroup() {
    // GIVEN 10,000 staged keys (the table grows several times)
    StagedKeys staged = new StagedKeys();
    for (int i = 0; i < 10_000; i++) {
      staged.put(DedupKey.explicitId("dev-" + (i % 7), "m-" + i), i);
    }

    // THEN each is found through an equal but distinct key object, with its seq
    assertEquals(10_000, staged.size());
    for (int i = 0; i < 10_000; i++) {
      DedupKey probe = DedupKey.explicitId("dev-" + (i % 7), "m-" + i);
      DedupKey found = staged.get(probe);
      assertEquals(probe.toString(), found.toString());
      assertEquals(i, staged.seq(probe));
    }
    assertNull(staged.get(DedupKey.explicitId("dev-1", "m-0")), "m-0 came from dev-0");
    Set<Long> hashes = new HashSet<>();
    for (int i = 0; i < staged.size(); i++) {
      hashes.add(staged.hashAt(i));
    }
    assertEquals(10_000, hashes.size());

    // WHEN an equal key is staged again THEN it replaces the entry, the count stays
    DedupKey again = DedupKey.explicitId("dev-3", "m-3");
    staged.put(again, 99_999);
    assertEquals(10_000, staged.size());
    assertSame(again, staged.get(DedupKey.explicitId("dev-3", "m-3")));
    assertEquals(99_999, staged.seq(again));

    // WHEN cleared THEN nothing is found and it takes keys again
    staged.clear();
    assertEquals(0, staged.size());
    assertNull(staged.get(again));
    staged.put(again, 5);
    assertEquals(1, staged.size());
    assertEquals(5, staged.seq(again));
  }
}
