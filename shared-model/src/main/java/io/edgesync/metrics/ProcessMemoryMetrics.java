package io.edgesync.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory, which the JVM's own metrics do not show: the heap, direct
 * buffers and metaspace are parts of it, RocksDB's native memory, the JIT's arenas and malloc's
 * free lists are not. {@code process_resident_memory_bytes} (VmRSS) and
 * {@code process_resident_memory_peak_bytes} (VmHWM, the peak since start) from
 * {@code /proc/self/status}, read at each scrape (procfs: no disk I/O). Bound only where that
 * file exists (Linux); docs/OPERATIONS.md "Memory bounds". Both the edge node and cloud-ingest
 * bind it (docs/METRICS.md).
 */
public final class ProcessMemoryMetrics implements MeterBinder {
  static final Path PROC_STATUS = Path.of("/proc/self/status");

  private final Path status;

  /** The metrics of this process ({@code /proc/self/status}). */
  public ProcessMemoryMetrics() {
    this(PROC_STATUS);
  }

  ProcessMemoryMetrics(Path status) {
    this.status = status;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    if (!Files.isReadable(status)) {
      return;
    }
    Gauge.builder("process.resident.memory", this, m -> m.read("VmRSS"))
        .baseUnit(BaseUnits.BYTES)
        .description("resident set size of the process (VmRSS): heap, native memory and mapped files")
        .strongReference(true) // nobody else holds this binder: weakly held, it would read NaN after a GC
        .register(registry);
    Gauge.builder("process.resident.memory.peak", this, m -> m.read("VmHWM"))
        .baseUnit(BaseUnits.BYTES)
        .description("peak resident set size since the process started (VmHWM)")
        .strongReference(true)
        .register(registry);
  }

  /** The {@code field} of the status file ("VmRSS:  1234 kB") in bytes, or NaN when it is missing. */
  double read(String field) {
    String text;
    try {
      text = Files.readString(status);
    } catch (IOException e) {
      return Double.NaN;
    }
    return parse(text, field);
  }

  static double parse(String statusText, String field) {
    String prefix = field + ":";
    for (String line : statusText.split("\n")) {
      if (line.startsWith(prefix)) {
        String[] parts = line.substring(prefix.length()).trim().split("\\s+");
        try {
          long value = Long.parseLong(parts[0]);
          return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? value * 1024.0 : value;
        } catch (NumberFormatException e) {
          return Double.NaN;
        }
      }
    }
    return Double.NaN;
  }
}
