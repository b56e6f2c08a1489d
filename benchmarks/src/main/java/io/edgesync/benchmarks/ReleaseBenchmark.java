package io.edgesync.benchmarks;

import io.edgesync.edge.log.EventLog;
import io.edgesync.model.Priority;
import io.vertx.core.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
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
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class ReleaseBenchmark extends TempLog {
  @Param({"2000"})
  public int events;

  @Param({"true", "false"})
  public boolean read;

  private long last;

  @Override
  protected String eventId() {
    return null;
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

  @Benchmark
  public long release() {
    log.release(Priority.NORMAL, last);
    return log.usedBytes();
  }
}
