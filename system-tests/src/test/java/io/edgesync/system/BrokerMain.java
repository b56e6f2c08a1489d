package io.edgesync.system;

import io.edgesync.cloud.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A standalone KRaft broker (combined with a controller) for the multi-process tests, run as a
 * child JVM on the cloud-ingest jar's classpath: {@code BrokerMain DIR PORT CONTROLLER_PORT} for a
 * single-node cluster, or {@code BrokerMain DIR PORT CONTROLLER_PORT NODE_ID VOTERS CLUSTER_ID RF}
 * for one node of a cluster. Prints {@code broker ready} once started; SIGTERM stops it cleanly,
 * SIGKILL is a broker crash.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    EmbeddedKafka.Options options = args.length >= 7
        ? new EmbeddedKafka.Options(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
            Integer.parseInt(args[3]), args[4], args[5], Integer.parseInt(args[6]))
        : new EmbeddedKafka.Options(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    EmbeddedKafka kafka = new EmbeddedKafka(options);
    kafka.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      kafka.close();
      stopped.countDown();
    }, "broker-shutdown"));
    System.out.println("broker ready: " + kafka.bootstrap());
    stopped.await();
  }
}
