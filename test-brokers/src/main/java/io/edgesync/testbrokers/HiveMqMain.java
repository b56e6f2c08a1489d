package io.edgesync.testbrokers;

import com.hivemq.embedded.EmbeddedHiveMQ;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * HiveMQ Community Edition, embedded, as a stand-alone process for the system tests (the
 * upstream "plant" broker of the edge's MQTT bridge). Usage: {@code HiveMqMain DIR PORT}:
 * listens on 127.0.0.1:PORT, keeps its configuration, file persistence (sessions, queued
 * QoS1 messages) and extensions under DIR, prints {@code hivemq ready port=PORT} once it
 * accepts connections and stops on SIGTERM. Started again on the same DIR it restores the
 * persistent sessions.
 *
 * <p>Runs in its own JVM because HiveMQ brings netty 4.1, the product netty 4.2.
 */
public final class HiveMqMain {
  private HiveMqMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: HiveMqMain DIR PORT");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Path data = Files.createDirectories(dir.resolve("data"));
    Path extensions = Files.createDirectories(dir.resolve("extensions"));
    // queued messages for offline persistent sessions: far above the tests' volumes (default 1000, then discarded)
    Files.writeString(conf.resolve("config.xml"), """
        <?xml version="1.0"?>
        <hivemq>
          <listeners>
            <tcp-listener><port>%d</port><bind-address>127.0.0.1</bind-address></tcp-listener>
          </listeners>
          <mqtt>
            <queued-messages><max-queue-size>1000000</max-queue-size><strategy>discard</strategy></queued-messages>
            <session-expiry><max-interval>86400</max-interval></session-expiry>
          </mqtt>
          <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
        </hivemq>
        """.formatted(port), StandardCharsets.UTF_8);
    EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(conf)
        .withDataFolder(data)
        .withExtensionsFolder(extensions)
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        hivemq.stop().get(30, TimeUnit.SECONDS);
        hivemq.close();
      } catch (Exception e) {
        System.err.println("hivemq stop failed: " + e);
      }
    }, "hivemq-shutdown"));
    hivemq.start().get(120, TimeUnit.SECONDS);
    System.out.println("hivemq ready port=" + port);
    System.out.flush();
  }
}
