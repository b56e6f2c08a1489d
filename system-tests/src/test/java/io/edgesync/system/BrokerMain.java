package io.edgesync.system;

import io.edgesync.cloud.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A standalone single-node KRaft broker for the multi-process tests, run as a child JVM
 * on the cloud-ingest jar's classpath: {@code BrokerMain DIR PORT CONTROLLER_PORT}. Prints
 * {@code broker ready} once started; SIGTERM stops it cleanly, SIGKILL is a broker crash.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    EmbeddedKafka kafka = new EmbeddedKafka(
        new EmbeddedKafka.Options(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2])));
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
