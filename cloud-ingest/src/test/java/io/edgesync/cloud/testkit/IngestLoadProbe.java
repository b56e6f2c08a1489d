package io.edgesync.cloud.testkit;

import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A quick throughput probe (not a benchmark, not a test): posts pre-built batches of
 * {@code eventsPerBatch} events for one node over one HTTP/2 mTLS connection, keeping
 * {@code inFlight} requests outstanding, and prints batches/s and events/s.
 *
 * <pre>java -cp ... io.edgesync.cloud.testkit.IngestLoadProbe PORT CA CERT KEY NODE BATCHES EVENTS_PER_BATCH IN_FLIGHT [FIRST_CLASS_SEQ]</pre>
 */
public final class IngestLoadProbe {
  private IngestLoadProbe() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Path ca = Path.of(args[1]);
    TestPki.Creds creds = new TestPki.Creds(Path.of(args[2]), Path.of(args[3]), null);
    String node = args[4];
    int batches = Integer.parseInt(args[5]);
    int perBatch = Integer.parseInt(args[6]);
    int inFlight = Integer.parseInt(args[7]);
    long first = args.length > 8 ? Long.parseLong(args[8]) : 1;
    List<byte[]> frames = new ArrayList<>(batches);
    long bytes = 0;
    for (int i = 0; i < batches; i++) {
      byte[] f = Frames.batch(node, first + (long) i * perBatch, perBatch);
      frames.add(f);
      bytes += f.length;
    }
    System.out.printf("built %d frames of %d events, %.1f KiB per frame (zstd)%n", batches, perBatch,
        bytes / 1024.0 / batches);
    Vertx vertx = Vertx.vertx();
    try (IngestClient client = new IngestClient(vertx, port, creds, ca)) {
      // warm-up connection and JIT with one batch outside the timing
      TestCloud.await(client.post(frames.get(0)), java.time.Duration.ofSeconds(30));
      AtomicInteger next = new AtomicInteger(1);
      AtomicInteger ok = new AtomicInteger(1);
      AtomicLong written = new AtomicLong();
      AtomicInteger other = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(inFlight);
      long t0 = System.nanoTime();
      for (int w = 0; w < inFlight; w++) {
        pump(client, frames, next, ok, written, other, done);
      }
      done.await();
      double s = (System.nanoTime() - t0) / 1e9;
      int n = batches - 1;
      System.out.printf("%d batches x %d events, %d in flight: %.2f s, %.1f batches/s, %.0f events/s, "
          + "written %d, non-200 %d%n", n, perBatch, inFlight, s, n / s, n * (double) perBatch / s,
          written.get(), other.get());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private static void pump(IngestClient client, List<byte[]> frames, AtomicInteger next, AtomicInteger ok,
      AtomicLong written, AtomicInteger other, CountDownLatch done) {
    int i = next.getAndIncrement();
    if (i >= frames.size()) {
      done.countDown();
      return;
    }
    client.post(frames.get(i)).onComplete(ar -> {
      if (ar.succeeded() && ar.result().status() == 200) {
        ok.incrementAndGet();
        written.addAndGet(ar.result().body().getLong("written"));
      } else {
        other.incrementAndGet();
        System.out.println("non-200: " + (ar.succeeded() ? ar.result().body().encode() : ar.cause()));
      }
      pump(client, frames, next, ok, written, other, done);
    });
  }
}
