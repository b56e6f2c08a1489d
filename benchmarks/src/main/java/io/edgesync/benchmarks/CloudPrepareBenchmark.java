package io.edgesync.benchmarks;

import io.edgesync.cloud.ingest.BatchDecoder;
import io.edgesync.cloud.kafka.EventRecords;
import io.edgesync.cloud.kafka.PreparedBatch;
import io.edgesync.cloud.kafka.PreparedEvent;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * cloud-ingest's per-event CPU and allocation before the Kafka writer: a zstd batch frame of
 * {@value #EVENTS} events built with the edge's own {@link BatchCodec#encode}, from envelopes of
 * {@link LoadgenEvents} (200-byte JSON payloads shaped like the load generator's). Scores are per event ({@link OperationsPerInvocation}); with
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the allocated bytes per event.
 *
 * <ul>
 *   <li>{@code decodeFrame}: {@link BatchDecoder#decode}, frame to {@link PreparedBatch} (CRC,
 *       zstd inflate, split, envelope decode, checks, Kafka record value and headers)</li>
 *   <li>{@code prepare}: {@link EventRecords#prepare} alone, over already decoded events</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CloudPrepare -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CloudPrepareBenchmark {
  static final int EVENTS = 1500;
  private static final String NODE = LoadgenEvents.NODE;

  private byte[] frame;
  private List<Event> events;

  @Setup
  public void setup() {
    events = LoadgenEvents.events(EVENTS);
    List<byte[]> envelopes = new ArrayList<>(EVENTS);
    for (Event e : events) {
      envelopes.add(EnvelopeCodec.encode(e));
    }
    frame = BatchCodec.encode(new EventBatch(NODE, Priority.NORMAL, 1, envelopes, false), Compression.ZSTD);
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public PreparedBatch decodeFrame() {
    return BatchDecoder.decode(frame, NODE, 64 << 20);
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public void prepare(Blackhole bh) {
    for (int i = 0; i < EVENTS; i++) {
      PreparedEvent p = EventRecords.prepare(NODE, events.get(i));
      bh.consume(p);
    }
  }
}
