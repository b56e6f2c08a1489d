package io.edgesync.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMemoryMetricsTest {
  @TempDir
  Path dir;

  @Test
  void parsesKilobyteFieldsOfProcStatus() {
    String status = "Name:\tjava\nVmPeak:\t 3456 kB\nVmHWM:\t  280260 kB\nVmRSS:\t  251904 kB\nThreads:\t41\n";
    assertEquals(251_904 * 1024.0, ProcessMemoryMetrics.parse(status, "VmRSS"));
    assertEquals(280_260 * 1024.0, ProcessMemoryMetrics.parse(status, "VmHWM"));
    assertEquals(41.0, ProcessMemoryMetrics.parse(status, "Threads"), "a field without unit");
    assertTrue(Double.isNaN(ProcessMemoryMetrics.parse(status, "RssAnon")), "missing field");
    assertTrue(Double.isNaN(ProcessMemoryMetrics.parse("VmRSS:\tlots kB\n", "VmRSS")), "garbled value");
  }

  @Test
  void exportsTheProcessRssOnPrometheusWhereProcExists() {
    assumeTrue(Files.isReadable(ProcessMemoryMetrics.PROC_STATUS), "Linux /proc only");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ProcessMemoryMetrics().bindTo(registry);
    System.gc(); // the registry must hold the binder: a weakly held one reads NaN once collected

    double rss = registry.get("process.resident.memory").gauge().value();
    double peak = registry.get("process.resident.memory.peak").gauge().value();
    assertTrue(rss > 10 << 20 && peak >= rss, "rss " + rss + ", peak " + peak);
    String text = registry.scrape();
    assertTrue(text.contains("\nprocess_resident_memory_bytes "), text);
    assertTrue(text.contains("\nprocess_resident_memory_peak_bytes "), text);
  }

  @Test
  void bindsNothingWithoutTheStatusFile() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ProcessMemoryMetrics(dir.resolve("absent")).bindTo(registry);
    assertNull(registry.find("process.resident.memory").gauge());
  }
}
