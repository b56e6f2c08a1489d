package io.edgesync.edge.rules;

import java.nio.file.Path;

/**
 * Where the rules come from and how often they are re-read and snapshotted
 * ({@code rules.*} keys, docs/RULES.md).
 *
 * @param file               the rules file, or null for no rules
 * @param shadowFile         a rules file evaluated in shadow (actions counted, not executed), or null
 * @param reloadIntervalMs   how often the files' mtime and size are polled (> 0)
 * @param snapshotIntervalMs how often rule state is snapshotted to RocksDB (> 0)
 * @param managed            whether rules rolled out from the cloud replace these files ({@code rules.managed})
 */
public record RulesConfig(Path file, Path shadowFile, long reloadIntervalMs, long snapshotIntervalMs,
    boolean managed) {
  public static final long DEFAULT_RELOAD_INTERVAL_MS = 2_000;
  public static final long DEFAULT_SNAPSHOT_INTERVAL_MS = 10_000;

  public RulesConfig {
    if (reloadIntervalMs <= 0 || snapshotIntervalMs <= 0) {
      throw new IllegalArgumentException("intervals must be > 0");
    }
  }

  /** Files and intervals; cloud rollouts accepted. */
  public RulesConfig(Path file, Path shadowFile, long reloadIntervalMs, long snapshotIntervalMs) {
    this(file, shadowFile, reloadIntervalMs, snapshotIntervalMs, true);
  }

  /** No rules files. */
  public static RulesConfig none() {
    return new RulesConfig(null, null, DEFAULT_RELOAD_INTERVAL_MS, DEFAULT_SNAPSHOT_INTERVAL_MS);
  }

  /** Whether there is anything to run. */
  public boolean enabled() {
    return file != null || shadowFile != null;
  }

  /**
   * Reads and compiles {@code file} (null: nothing), as at start-up (the first compilation
   * takes about a second). Blocking: call it at start-up, never on an event loop.
   *
   * @throws RulesFileException one line naming the file, rule and error
   */
  public static void check(java.nio.file.Path file) {
    if (file != null) {
      RuleCompiler.compile(RulesFile.read(file), java.time.Instant.EPOCH);
    }
  }
}
