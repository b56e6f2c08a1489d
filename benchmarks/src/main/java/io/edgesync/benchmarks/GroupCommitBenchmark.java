package io.edgesync.benchmarks;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.log.AppendResult;
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
 * The durable append path: {@code events} appends to a real {@link EventLog} (RocksDB in a
 * temporary folder, WAL fsynced per group commit, the default {@code log.memoryBytes}), each
 * with an explicit-id {@link DedupKey} (or none), then waiting until the last one is durable.
 * The single writer thread takes them as one group (up to {@code log.maxGroupEvents}), so
 * {@code events=1} is the latency of one fsynced commit and {@code events=2000} the cost of a
 * loaded group (divide by 2000 for the cost per event). Measures the writer thread's work
 * (dedup check, WriteBatch build, RocksDB write, fsync) plus the hand-off from and back to the
 * calling thread; the disk is whatever backs {@code java.io.tmpdir}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar GroupCommit}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class GroupCommitBenchmark {
  @Param({"1", "2000"})
  public int events;

  @Param({"true", "false"})
  public boolean dedup;

  private Vertx vertx;
  private EventLog log;
  private Path dir;
  private byte[] template;
  private long next;

  @Setup
  public void setup() throws IOException {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("edgesync-jmh-log");
    log = EventLog.open(dir.resolve("db"), new LogSettings(65_536, 64L * 1024 * 1024, 4096), vertx,
        new SimpleMeterRegistry());
    StringBuilder json = new StringBuilder("{\"id\":\"x\",\"ts\":1763776800000,\"value\":1,\"pad\":\"");
    while (json.length() < 198) {
      json.append((char) ('a' + json.length() % 26));
    }
    json.append("\"}");
    template = EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "loadgen-c1", "bench/p1", "x",
        1_763_776_800_000L, 1_763_776_800_000L, json.toString().getBytes(StandardCharsets.UTF_8)));
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
  public AppendResult append() throws Exception {
    Future<AppendResult> last = null;
    for (int i = 0; i < events; i++) {
      long id = next++;
      // the log owns (and patches) the array it is given: one copy per append, as on ingest
      last = log.append(template.clone(), dedup ? DedupKey.explicitId("loadgen-c1", "m-" + id) : null);
    }
    return last.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
