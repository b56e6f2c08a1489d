package io.edgesync.edge.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksLibraryTest {

  @Test
  void loadingLeavesNoExtractedCopyOnDisk() throws Exception {
    Path maps = Path.of("/proc/self/maps");
    assumeTrue(Files.isReadable(maps), "Linux only");
    RocksLibrary.load();
    List<String> lines = Files.readAllLines(maps);
    List<String> rocks = lines.stream().filter(l -> l.contains("librocksdbjni")).toList();
    assertFalse(rocks.isEmpty(), "the library is mapped");
    // the mapped copy was unlinked: the kernel marks it "(deleted)", and no live copy is listed
    assertTrue(rocks.stream().allMatch(l -> l.endsWith(" (deleted)")), rocks.get(0));
    assertEquals(List.of(), RocksLibrary.extractedCopies(lines));
  }

  @Test
  void findsOnlyTheExtractorsCopiesInTheMaps() {
    List<String> lines = List.of(
        "7f0000000000-7f0000100000 r-xp 00000000 fd:01 42 /tmp/librocksdbjni1234567890.so",
        "7f0000100000-7f0000200000 r--p 00100000 fd:01 42 /tmp/librocksdbjni1234567890.so",
        "7f0000200000-7f0000300000 r-xp 00000000 fd:01 43 /tmp/librocksdbjni99.so (deleted)",
        "7f0000300000-7f0000400000 r-xp 00000000 fd:01 44 /usr/lib/librocksdbjni-linux64.so",
        "7f0000400000-7f0000500000 rw-p 00000000 00:00 0 ",
        "7f0000500000-7f0000600000 r-xp 00000000 fd:01 45 /usr/lib/x86_64-linux-gnu/libc.so.6");
    assertEquals(List.of(Path.of("/tmp/librocksdbjni1234567890.so")), RocksLibrary.extractedCopies(lines));
  }

  @Test
  void removesOnlyOldExtractedCopies(@TempDir Path dir) throws Exception {
    Instant now = Instant.now();
    Path old = touch(dir.resolve("librocksdbjni111.so"), now.minus(Duration.ofHours(2)));
    Path young = touch(dir.resolve("librocksdbjni222.so"), now.minus(Duration.ofMinutes(5)));
    Path installed = touch(dir.resolve("librocksdbjni-linux64.so"), now.minus(Duration.ofDays(30)));
    Path other = touch(dir.resolve("libother333.so"), now.minus(Duration.ofDays(30)));
    assertEquals(1, RocksLibrary.removeStale(dir, now));
    assertFalse(Files.exists(old));
    assertTrue(Files.exists(young), "may be a JVM still loading it");
    assertTrue(Files.exists(installed), "not named like an extracted copy");
    assertTrue(Files.exists(other));
  }

  private static Path touch(Path file, Instant modified) throws Exception {
    Files.writeString(file, "x");
    Files.setLastModifiedTime(file, FileTime.from(modified));
    return file;
  }
}
