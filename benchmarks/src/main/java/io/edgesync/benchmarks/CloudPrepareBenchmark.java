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
import java.nio.charset.StandardCharsets;
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
 * 200-byte JSON payloads shaped like the load generator's (pseudo-random pad, so zstd sees
 * realistic redundancy). Scores are per event ({@link OperationsPerInvocation}); with
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
  private static final String NODE = "bench-node-1";

  private byte[] frame;
  private List<Event> events;

  @Setup
  public void setup() {
    long t0 = 1_700_000_000_000L;
    long rnd = 0x9E3779B97F4A7C15L;
    List<byte[]> envelopes = new ArrayList<>(EVENTS);
    events = new ArrayList<>(EVENTS);
    for (int i = 0; i < EVENTS; i++) {
      String id = "r-c" + (i % 8) + "-" + (123 + i);
      StringBuilder json = new StringBuilder(200).append("{\"id\":\"").append(id).append("\",\"ts\":").append(t0 + i)
          .append(",\"tn\":").append((t0 + i) * 1000 + 123).append(",\"value\":").append(123 + i)
          .append(",\"pad\":\"");
      while (json.length() < 198) {
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 7;
        rnd ^= rnd << 17;
        json.append((char) ('a' + (int) ((rnd >>> 33) % 26)));
      }
      json.append("\"}");
      Event e = new Event(1000 + i, 1 + i, Priority.NORMAL, "loadgen-c" + (i % 8), "bench/p" + (i % 8), id,
          t0 + i, t0 + i + 7, json.toString().getBytes(StandardCharsets.US_ASCII));
      events.add(e);
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
