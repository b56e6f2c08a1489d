package io.edgesync.benchmarks;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of the log benchmarks: a real {@link EventLog} (RocksDB in a temporary folder, the
 * default {@code log.memoryBytes}) opened per trial and removed after it, and the load
 * generator's event as an envelope ({@link #template}).
 */
@State(Scope.Thread)
public abstract class TempLog {
  private Vertx vertx;
  private Path dir;
  protected EventLog log;
  protected byte[] template;

  /** The template's event id, or null. */
  protected abstract String eventId();

  @Setup
  public void openLog() throws IOException {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("edgesync-jmh-" + getClass().getSimpleName());
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx,
        new SimpleMeterRegistry());
    template = envelope(eventId());
  }

  /** A normal-class envelope of the load generator's 200-byte JSON reading, with event id {@code id} (or none). */
  static byte[] envelope(String id) {
    StringBuilder json = new StringBuilder("{\"id\":\"x\",\"ts\":1763776800000,\"value\":1,\"pad\":\"");
    while (json.length() < 198) {
      json.append((char) ('a' + json.length() % 26));
    }
    json.append("\"}");
    return EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "loadgen-c1", "bench/p1", id,
        1_763_776_800_000L, 1_763_776_800_000L, json.toString().getBytes(StandardCharsets.UTF_8)));
  }

  @TearDown
  public void closeLog() throws IOException {
    log.close();
    vertx.close().await();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
