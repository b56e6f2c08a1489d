package io.edgesync.sim;

import io.edgesync.config.ConfigException;
import io.edgesync.config.LaunchArgs;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Demo load: a fleet of simulated sensors (temperature and vibration readings) and a
 * simulated market-data feed (ticks for a few instruments), each a real MQTT connection
 * to the edge node. Prints one progress line every 10 s and stops cleanly on SIGTERM, or
 * after {@code total} messages were acknowledged.
 */
public final class SimulatorMain {

  private SimulatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    SimulatorConfig config;
    try {
      LaunchArgs a = LaunchArgs.parse(args);
      if (a.help()) {
        System.out.print(SimulatorConfig.HELP);
        return;
      }
      config = SimulatorConfig.from(a.settings());
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    run(config);
  }

  static void run(SimulatorConfig c) throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    AtomicLong acked = new AtomicLong();
    List<Publisher> publishers = new ArrayList<>();
    boolean mqttFeed = !c.symbols().isEmpty() && !c.tcpFeed();
    int connections = c.sensors() + (mqttFeed ? 1 : 0);
    for (int i = 0; i < c.sensors(); i++) {
      String device = String.format(Locale.ROOT, "sensor-%03d", i + 1);
      long budget = c.total() == 0 ? 0 : share(c.total(), connections, i);
      publishers.add(new Publisher(vertx, device, c.mqtt().host(), c.mqtt().port(), c.qos(), c.window(),
          c.sensorRatePerSec(), budget, sensor(device), acked));
    }
    if (mqttFeed) {
      long budget = c.total() == 0 ? 0 : share(c.total(), connections, connections - 1);
      publishers.add(new Publisher(vertx, "market-feed", c.mqtt().host(), c.mqtt().port(), c.qos(),
          c.window(), c.ticksPerSec(), budget, market(c.symbols()), acked));
    }
    publishers.forEach(Publisher::start);
    TcpMarketFeed tcp = null;
    String feedAt = "mqtt://" + c.mqtt();
    if (c.tcpFeed()) {
      tcp = new TcpMarketFeed(vertx, c.marketHost(), c.marketPort(), c.symbols(), c.ticksPerSec(), c.marketTotal(),
          c.gapEvery(), c.replayBuffer());
      try {
        int port = tcp.start().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        feedAt = "tcp://" + c.marketHost() + ":" + port;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        System.err.println("simulators: cannot listen on market.port " + c.marketPort() + ": " + e.getMessage());
        vertx.close();
        System.exit(1);
        return;
      }
    }
    System.out.printf("simulators ready: %d sensors at %.1f/s -> mqtt://%s, market feed %s at %.0f ticks/s -> %s%n",
        c.sensors(), c.sensorRatePerSec(), c.mqtt(), c.symbols(), c.ticksPerSec(), feedAt);

    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      publishers.forEach(p -> vertx.runOnContext(v -> p.stop()));
      vertx.close().toCompletionStage().toCompletableFuture().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS)
          .exceptionally(t -> null).join();
    }, "simulators-shutdown"));
    long last = 0;
    long lastAt = System.nanoTime();
    while (!stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
      if (c.total() > 0 && acked.get() >= c.total() && tcp == null) {
        System.out.printf("simulators done: %d messages acknowledged%n", acked.get());
        publishers.forEach(p -> vertx.runOnContext(v -> p.stop()));
        vertx.close();
        return;
      }
      long now = System.nanoTime();
      if (now - lastAt >= 10_000_000_000L) {
        long n = acked.get();
        System.out.printf("simulators: %d messages acknowledged (%.0f/s)%n", n, (n - last) * 1e9 / (now - lastAt));
        if (tcp != null) {
          System.out.printf("simulators: market feed seq %d, %d clients, %d withheld (gaps), %d replay requests, "
              + "%d ticks replayed%n", tcp.seq.get(), tcp.clients(), tcp.withheld.get(), tcp.replayRequests.get(),
              tcp.replayed.get());
        }
        last = n;
        lastAt = now;
      }
    }
  }

  private static long share(long total, int parts, int index) {
    return total / parts + (index < total % parts ? 1 : 0);
  }

  /** Temperature readings (a random walk) with an occasional vibration reading. */
  private static java.util.function.Supplier<Publisher.Message> sensor(String device) {
    double[] temp = {20 + ThreadLocalRandom.current().nextDouble(10)};
    long[] n = {0};
    String tempTopic = "sensors/" + device + "/temp";
    String vibTopic = "sensors/" + device + "/vibration";
    return () -> {
      long i = ++n[0];
      ThreadLocalRandom r = ThreadLocalRandom.current();
      long ts = System.currentTimeMillis();
      if (i % 10 == 0) {
        String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"rms\":%.3f}", device, i, ts,
            0.2 + r.nextDouble(0.1));
        return new Publisher.Message(vibTopic, json.getBytes(StandardCharsets.UTF_8));
      }
      temp[0] += r.nextGaussian() * 0.2;
      String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%.2f,\"unit\":\"C\"}",
          device, i, ts, temp[0]);
      return new Publisher.Message(tempTopic, json.getBytes(StandardCharsets.UTF_8));
    };
  }

  /** Ticks: a random walk per instrument, with a feed sequence number. */
  private static java.util.function.Supplier<Publisher.Message> market(List<String> symbols) {
    double[] prices = new double[symbols.size()];
    for (int i = 0; i < prices.length; i++) {
      prices[i] = 50 + 50 * i;
    }
    long[] seq = {0};
    return () -> {
      long s = ++seq[0];
      ThreadLocalRandom r = ThreadLocalRandom.current();
      int k = r.nextInt(symbols.size());
      prices[k] = Math.max(0.01, prices[k] * (1 + r.nextGaussian() * 0.0005));
      String json = String.format(Locale.ROOT,
          "{\"id\":\"feed-%d\",\"ts\":%d,\"symbol\":\"%s\",\"price\":%.4f,\"size\":%d,\"feedSeq\":%d}",
          s, System.currentTimeMillis(), symbols.get(k), prices[k], 1 + r.nextInt(500), s);
      return new Publisher.Message("market/" + symbols.get(k) + "/ticks", json.getBytes(StandardCharsets.UTF_8));
    };
  }
}
