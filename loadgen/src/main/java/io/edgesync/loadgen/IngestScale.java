package io.edgesync.loadgen;

import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Drives the cloud tier directly, the way a fleet of edge nodes does, to measure how ingest scales
 * with the number of cloud-ingest instances (bench/scale.sh, issue 9). Each node (an enrolled
 * bundle: node.crt, node.key) sends pre-built zstd batch frames in class-seq order, one request at
 * a time, over HTTP/2 + mTLS, to the first of {@code --endpoints}; on 421 NOT_OWNER it moves to the
 * next endpoint at once, on 503 or a network error it retries after 100 ms. Prints one line:
 * {@code scale: nodes N events E seconds S events/s R not_owner X retries Y}.
 *
 * <pre>java -cp loadgen.jar io.edgesync.loadgen.IngestScale ENDPOINTS CA BUNDLES_DIR NODES BATCHES EVENTS PAYLOAD</pre>
 * ENDPOINTS: {@code host:port,...}; BUNDLES_DIR: one folder per node, named by its node id; NODES:
 * how many of them (sorted by name); BATCHES per node; EVENTS per batch; PAYLOAD bytes per event.
 */
public final class IngestScale {
  private static final long RETRY_MS = 100;
  private static final long REQUEST_TIMEOUT_MS = 30_000;

  private IngestScale() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println("usage: IngestScale ENDPOINTS CA BUNDLES_DIR NODES BATCHES EVENTS PAYLOAD");
      System.exit(2);
    }
    List<String[]> endpoints = new ArrayList<>();
    for (String e : args[0].split(",")) {
      endpoints.add(e.trim().split(":"));
    }
    Path ca = Path.of(args[1]);
    List<Path> bundles;
    try (Stream<Path> s = Files.list(Path.of(args[2]))) {
      bundles = s.filter(p -> Files.isRegularFile(p.resolve("node.crt"))).sorted().limit(Integer.parseInt(args[3]))
          .toList();
    }
    int batches = Integer.parseInt(args[4]);
    int events = Integer.parseInt(args[5]);
    int payload = Integer.parseInt(args[6]);

    Vertx vertx = Vertx.vertx();
    List<Node> nodes = new ArrayList<>();
    for (Path b : bundles) {
      nodes.add(new Node(vertx, b.getFileName().toString(), b, ca, endpoints, frames(b.getFileName().toString(),
          batches, events, payload)));
    }
    CountDownLatch done = new CountDownLatch(nodes.size());
    long t0 = System.nanoTime();
    for (Node n : nodes) {
      n.start(done);
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      System.err.println("scale: did not finish within 30 minutes");
      System.exit(1);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long total = (long) nodes.size() * batches * events;
    long notOwner = nodes.stream().mapToLong(n -> n.notOwner.get()).sum();
    long retries = nodes.stream().mapToLong(n -> n.retries.get()).sum();
    System.out.printf("scale: nodes %d events %d seconds %.1f events/s %.0f not_owner %d retries %d%n", nodes.size(),
        total, seconds, total / seconds, notOwner, retries);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Frames of class seqs 1..batches*events, {@code events} per frame. */
  private static List<Buffer> frames(String node, int batches, int events, int payloadBytes) {
    List<Buffer> out = new ArrayList<>(batches);
    String pad = "x".repeat(Math.max(0, payloadBytes - 60));
    long now = System.currentTimeMillis();
    for (int b = 0; b < batches; b++) {
      long first = (long) b * events + 1;
      List<byte[]> envelopes = new ArrayList<>(events);
      for (long c = first; c < first + events; c++) {
        String source = "dev-" + (c % 8);
        String id = node + "-" + c;
        byte[] json = ("{\"id\":\"" + id + "\",\"value\":" + c + ",\"pad\":\"" + pad + "\"}")
            .getBytes(StandardCharsets.UTF_8);
        envelopes.add(EnvelopeCodec.encode(new Event(c, c, Priority.NORMAL, source, "sensors/" + source,
            id, now, now, json)));
      }
      out.add(Buffer.buffer(BatchCodec.encode(new EventBatch(node, Priority.NORMAL, first, envelopes),
          Compression.ZSTD)));
    }
    return out;
  }

  /** One simulated edge node: its own context, one client per endpoint, one request at a time. */
  private static final class Node {
    final String id;
    final Context context;
    final List<HttpClientAgent> clients = new ArrayList<>();
    final List<String[]> endpoints;
    final List<Buffer> frames;
    final AtomicLong notOwner = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    int endpoint;
    int next;

    Node(Vertx vertx, String id, Path bundle, Path ca, List<String[]> endpoints, List<Buffer> frames)
        throws IOException {
      this.id = id;
      this.endpoints = endpoints;
      this.frames = frames;
      this.context = vertx.getOrCreateContext();
      for (String[] e : endpoints) {
        clients.add(vertx.createHttpClient(new HttpClientOptions()
            .setSsl(true).setUseAlpn(true).setProtocolVersion(HttpVersion.HTTP_2)
            .setSslEngineOptions(new OpenSSLEngineOptions())
            .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
            .setKeyCertOptions(new PemKeyCertOptions().setCertPath(bundle.resolve("node.crt").toString())
                .setKeyPath(bundle.resolve("node.key").toString()))
            .setDefaultHost(e[0]).setDefaultPort(Integer.parseInt(e[1]))));
      }
    }

    void start(CountDownLatch done) {
      context.runOnContext(v -> send(done));
    }

    private void send(CountDownLatch done) {
      if (next == frames.size()) {
        done.countDown();
        return;
      }
      HttpClientAgent c = clients.get(endpoint);
      c.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/batches")
              .setTimeout(REQUEST_TIMEOUT_MS))
          .compose(req -> req.putHeader("content-type", "application/octet-stream").send(frames.get(next)))
          .compose(resp -> resp.body().map(body -> resp.statusCode()))
          .onComplete(ar -> {
            int status = ar.succeeded() ? ar.result() : -1;
            if (status == 200) {
              next++;
              send(done);
            } else if (status == 421) {
              notOwner.incrementAndGet();
              endpoint = (endpoint + 1) % clients.size();
              context.owner().setTimer(notOwner.get() % clients.size() == 0 ? RETRY_MS : 1, t -> send(done));
            } else {
              retries.incrementAndGet();
              if (retries.get() % 3 == 0) {
                endpoint = (endpoint + 1) % clients.size();
              }
              context.owner().setTimer(RETRY_MS, t -> send(done));
            }
          });
    }
  }
}
