package io.edgesync.benchmarks;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.log.LogSettings;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarder's release of one acknowledged batch of {@code events} on a real {@link EventLog}:
 * with {@code read=true} the batch was read before (as the forwarder reads it to send it), so the
 * release counts its bytes from that read; with {@code read=false} it reads the batch again to
 * count them (what every release did before the fourteenth round). Each invocation releases a
 * fresh batch, appended (and read) before it, unmeasured. The batch sits in the memtable here;
 * a forwarder that lags reads it from SST files, where the second read costs more.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar Release}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class ReleaseBenchmark {
  @Param({"2000"})
  public int events;

  @Param({"true", "false"})
  public boolean read;

  private Vertx vertx;
  private EventLog log;
  private Path dir;
  private byte[] template;
  private long last;

  @Setup
  public void setup() throws IOException {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("edgesync-jmh-release");
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx,
        new SimpleMeterRegistry());
    StringBuilder json = new StringBuilder("{\"id\":\"x\",\"ts\":1763776800000,\"value\":1,\"pad\":\"");
    while (json.length() < 198) {
      json.append((char) ('a' + json.length() % 26));
    }
    json.append("\"}");
    template = EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "loadgen-c1", "bench/p1", null,
        1_763_776_800_000L, 1_763_776_800_000L, json.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** A new batch: appended (durable), then read as the forwarder reads it when {@code read}. */
  @Setup(Level.Invocation)
  public void batch() throws Exception {
    Future<Long> tail = null;
    for (int i = 0; i < events; i++) {
      tail = log.append(template.clone());
    }
    tail.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long first = last + 1;
    last = log.lastClassSeq(Priority.NORMAL);
    if (read && log.read(Priority.NORMAL, first, events, Integer.MAX_VALUE).size() != events) {
      throw new IllegalStateException("read fewer than " + events + " events");
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    log.close();
    vertx.close().await();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Benchmark
  public long release() {
    log.release(Priority.NORMAL, last);
    return log.usedBytes();
  }
}
