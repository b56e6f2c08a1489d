package io.edgesync.system;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real multi-node Kafka cluster on loopback: {@code n} KRaft nodes, each broker and controller
 * in its own child JVM ({@link BrokerMain}), formatted with one cluster id, internal topics
 * replicated {@code n} times (min.insync.replicas n-1). Nodes can be killed and started again.
 */
final class KafkaCluster implements AutoCloseable {
  private final List<KafkaBroker> brokers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  KafkaCluster(Path dir, Path logs, int n) {
    List<Integer> controllers = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ports.add(Ports.free());
      controllers.add(Ports.free());
    }
    String voters = java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> (i + 1) + "@localhost:" + controllers.get(i)).collect(Collectors.joining(","));
    // KRaft cluster ids are base64url UUIDs of 22 characters
    String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
    for (int i = 0; i < n; i++) {
      brokers.add(new KafkaBroker(dir.resolve("kafka-" + (i + 1)), logs, ports.get(i), controllers.get(i),
          List.of(Integer.toString(i + 1), voters, clusterId, Integer.toString(n))));
    }
  }

  /** Starts every node together and waits until each serves. */
  void start() throws IOException {
    for (KafkaBroker b : brokers) {
      b.launch();
    }
    for (KafkaBroker b : brokers) {
      b.awaitReady();
    }
  }

  /** Every node's client listener, comma-separated. */
  String bootstrap() {
    return ports.stream().map(p -> "localhost:" + p).collect(Collectors.joining(","));
  }

  /** Node {@code i} (0-based). */
  KafkaBroker broker(int i) {
    return brokers.get(i);
  }

  /** Stops every node at once: stopped one by one, the last ones would wait for a lost quorum. */
  @Override
  public void close() {
    List<Thread> stops = new ArrayList<>();
    for (KafkaBroker b : brokers) {
      Thread t = new Thread(b::close, "stop-kafka-node");
      t.start();
      stops.add(t);
    }
    for (Thread t : stops) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
