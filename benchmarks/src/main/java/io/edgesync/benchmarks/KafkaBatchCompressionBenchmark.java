package io.edgesync.benchmarks;

import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.model.Event;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the Kafka producer does per record of cloud-ingest inside a producer batch, by
 * compression type: {@link MemoryRecordsBuilder} appends {@value #RECORDS} records (the values
 * and headers {@link EventRecords#prepare} builds for load-generator events, ~420-byte values)
 * into a reused 128 KiB buffer (the producer's {@code batch.size}, its buffer pool reuses the
 * buffer too) and closes the batch. Kafka's internal record API (4.x {@code record.internal}):
 * a measurement, not product code. Scores are per record; {@code -prof gc} gives bytes per record.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar KafkaBatchCompression -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KafkaBatchCompressionBenchmark {
  static final int RECORDS = 200;

  @Param({"lz4", "zstd", "none"})
  public String compression;

  private final ByteBuffer buffer = ByteBuffer.allocate(128 * 1024);
  private final ByteBuffer[] keys = new ByteBuffer[RECORDS];
  private final ByteBuffer[] values = new ByteBuffer[RECORDS];
  private final Header[][] headers = new Header[RECORDS][];
  private Compression codec;

  @Setup
  public void setup() {
    codec = Compression.of(compression).build();
    List<Event> events = LoadgenEvents.events(RECORDS);
    for (int i = 0; i < RECORDS; i++) {
      PreparedEvent e = EventRecords.prepare(LoadgenEvents.NODE, events.get(i));
      keys[i] = ByteBuffer.wrap(e.key());
      values[i] = ByteBuffer.wrap(e.value());
      headers[i] = e.headers().toArray(new Header[0]);
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public int fillBatch() {
    buffer.clear();
    MemoryRecordsBuilder b = MemoryRecords.builder(buffer, codec, TimestampType.CREATE_TIME, 0L);
    for (int i = 0; i < RECORDS; i++) {
      b.append(1_700_000_000_000L + i, keys[i].duplicate(), values[i].duplicate(), headers[i]);
    }
    b.close();
    return b.build().sizeInBytes();
  }
}
