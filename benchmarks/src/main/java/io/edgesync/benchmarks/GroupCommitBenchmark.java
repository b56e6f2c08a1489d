package io.edgesync.benchmarks;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.log.AppendResult;
import io.edgesync.edge.log.EventLog;
import io.edgesync.model.Priority;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
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
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class GroupCommitBenchmark extends TempLog {
  @Param({"1", "2000"})
  public int events;

  @Param({"true", "false"})
  public boolean dedup;

  private long next;

  @Override
  protected String eventId() {
    return "x";
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
