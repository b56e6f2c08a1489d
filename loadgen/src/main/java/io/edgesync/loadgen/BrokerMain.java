package io.edgesync.loadgen;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A standalone single-node KRaft broker for the benchmark, the same broker as the demo's and
 * system-tests' (cloud-ingest's {@code EmbeddedKafka}, loaded by name so that this module does
 * not depend on cloud-ingest at build time). Run with
 * {@code java -cp cloud-ingest.jar:loadgen/target/classes io.edgesync.loadgen.BrokerMain DIR PORT CONTROLLER_PORT};
 * prints {@code broker ready: localhost:PORT}; SIGTERM stops it.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws Exception {
    Class<?> kafkaClass = Class.forName("io.edgesync.cloud.kafka.EmbeddedKafka");
    Class<?> optionsClass = Class.forName("io.edgesync.cloud.kafka.EmbeddedKafka$Options");
    Object options = optionsClass.getConstructor(Path.class, int.class, int.class)
        .newInstance(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    AutoCloseable kafka = (AutoCloseable) kafkaClass.getConstructor(optionsClass).newInstance(options);
    kafkaClass.getMethod("start").invoke(kafka);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        kafka.close();
      } catch (Exception e) {
        System.err.println("broker close: " + e);
      }
      stopped.countDown();
    }, "broker-shutdown"));
    System.out.println("broker ready: " + kafkaClass.getMethod("bootstrap").invoke(kafka));
    stopped.await();
  }
}
