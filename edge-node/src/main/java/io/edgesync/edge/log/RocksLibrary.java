package io.edgesync.edge.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library without leaving a copy behind.
 *
 * <p>rocksdbjni extracts its ~17 MB library from the jar into a temporary file
 * ({@code librocksdbjni<random>.so} in {@code $ROCKSDB_SHAREDLIB_DIR} or {@code java.io.tmpdir})
 * on every start and deletes it only at a clean JVM exit, so every killed or crashed edge left
 * one in {@code /tmp} (on a gateway whose {@code /tmp} is a tmpfs, in RAM). Once the library is
 * mapped the file is no longer needed on Linux: this unlinks the process's own copy right after
 * loading (the mapping keeps it alive) and removes copies older than {@link #STALE_AFTER} left
 * by earlier processes in the same folder (a younger one may belong to a JVM that is still
 * loading it). A library found on {@code java.library.path} instead is never touched: only
 * files named the way the extractor names them are.
 */
final class RocksLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(RocksLibrary.class);
  /** How rocksdbjni's {@code File.createTempFile("librocksdbjni", ".so")} names its copies. */
  static final Pattern EXTRACTED = Pattern.compile("librocksdbjni\\d+\\.so");
  static final Duration STALE_AFTER = Duration.ofHours(1);
  private static boolean loaded;

  private RocksLibrary() {
  }

  /** {@link RocksDB#loadLibrary()}, then the clean-up above (Linux only; best effort, logged). */
  static synchronized void load() {
    if (loaded) {
      return;
    }
    RocksDB.loadLibrary();
    loaded = true;
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return;
    }
    try {
      for (Path own : extractedCopies(Files.readAllLines(maps))) {
        Files.deleteIfExists(own);
        int stale = removeStale(own.getParent(), Instant.now());
        LOG.debug("removed the extracted copy {} of RocksDB's library (mapped) and {} stale copies", own, stale);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not remove RocksDB's extracted library copies: {}", e.toString());
    }
  }

  /** The extracted copies among the files mapped in {@code /proc/self/maps} lines. */
  static List<Path> extractedCopies(List<String> mapsLines) {
    List<Path> copies = new ArrayList<>();
    for (String line : mapsLines) {
      int slash = line.indexOf('/');
      if (slash < 0 || line.endsWith(" (deleted)")) {
        continue;
      }
      Path file = Path.of(line.substring(slash));
      if (file.getFileName() != null && EXTRACTED.matcher(file.getFileName().toString()).matches()
          && !copies.contains(file)) {
        copies.add(file);
      }
    }
    return copies;
  }

  /** Deletes extracted copies in {@code dir} last modified before {@code now - STALE_AFTER}; returns how many. */
  static int removeStale(Path dir, Instant now) throws IOException {
    FileTime cutoff = FileTime.from(now.minus(STALE_AFTER));
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "librocksdbjni*.so")) {
      for (Path f : files) {
        if (EXTRACTED.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)
            && Files.getLastModifiedTime(f).compareTo(cutoff) < 0 && Files.deleteIfExists(f)) {
          removed++;
        }
      }
    }
    return removed;
  }
}
