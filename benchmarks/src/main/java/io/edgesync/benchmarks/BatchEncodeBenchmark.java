package io.edgesync.benchmarks;

import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The forwarder's per-batch CPU work: {@link BatchCodec#encode} of a batch of envelopes
 * (length-prefixed body, zstd level 1 or none, CRC32C, header) as {@code BatchForwarder}
 * sends it. Envelopes are those of 200-byte JSON payloads like the load generator's, with
 * increasing ids and values, so zstd sees realistic redundancy. Reported per batch; divide by
 * {@code events} for the cost per event.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar BatchEncode}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class BatchEncodeBenchmark {
  @Param({"1700"})
  public int events;

  @Param({"ZSTD", "NONE"})
  public Compression compression;

  private EventBatch batch;

  @Setup
  public void setup() {
    List<byte[]> envelopes = new ArrayList<>(events);
    long t0 = 1_763_776_800_000L;
    for (int i = 0; i < events; i++) {
      StringBuilder json = new StringBuilder("{\"id\":\"run1-c" + (i % 8) + "-" + i + "\",\"ts\":" + (t0 + i)
          + ",\"tn\":" + (t0 + i) * 1000 + ",\"value\":" + i + ",\"pad\":\"");
      while (json.length() < 198) {
        json.append((char) ('a' + (json.length() * 7 + i) % 26));
      }
      json.append("\"}");
      envelopes.add(EnvelopeCodec.encode(new Event(i + 1, i + 1, Priority.NORMAL, "loadgen-c" + (i % 8),
          "bench/p" + (i % 8), "run1-c" + (i % 8) + "-" + i, t0 + i, t0 + i,
          json.toString().getBytes(StandardCharsets.UTF_8))));
    }
    batch = new EventBatch("bench-1", Priority.NORMAL, 1, envelopes, false);
  }

  @Benchmark
  public byte[] encode() {
    return BatchCodec.encode(batch, compression);
  }
}
