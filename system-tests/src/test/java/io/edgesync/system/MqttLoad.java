package io.edgesync.system;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Publishes with real MQTT clients (Eclipse Paho): {@code clients} connections, each
 * {@code perClient} QoS1 messages on {@code sensors/{source}/temp} with a JSON payload
 * {@code {"id":"{source}-{n}","ts":...,"value":n}}, at most {@code window} unacknowledged
 * per client. Returns once every message was acknowledged (PUBACK).
 */
final class MqttLoad {
  private MqttLoad() {}

  static String source(String prefix, int client) {
    return String.format(Locale.ROOT, "%s-c%02d", prefix, client);
  }

  static void publish(int port, String prefix, int clients, int perClient, int window) throws Exception {
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int c = 0; c < clients; c++) {
      String source = source(prefix, c);
      Thread t = new Thread(() -> {
        try {
          publishOne(port, source, perClient, window);
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "mqtt-load-" + source);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join(TimeUnit.MINUTES.toMillis(5));
    }
    if (!errors.isEmpty()) {
      AssertionError e = new AssertionError("MQTT load failed: " + errors.get(0), errors.get(0));
      errors.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
  }

  private static void publishOne(int port, String source, int count, int window) throws Exception {
    MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, source, new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setCleanSession(true);
    options.setMaxInflight(Math.max(window, 10));
    options.setConnectionTimeout(30);
    client.connect(options).waitForCompletion(30_000);
    Semaphore inFlight = new Semaphore(window);
    Semaphore done = new Semaphore(0);
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    IMqttActionListener listener = new IMqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        inFlight.release();
        done.release();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable e) {
        failures.add(e);
        inFlight.release();
        done.release();
      }
    };
    String topic = "sensors/" + source + "/temp";
    for (int n = 1; n <= count; n++) {
      inFlight.acquire();
      String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%d}", source, n,
          System.currentTimeMillis(), n);
      MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
      m.setQos(1);
      client.publish(topic, m, null, listener);
    }
    if (!done.tryAcquire(count, 3, TimeUnit.MINUTES)) {
      throw new AssertionError(source + ": not every message was acknowledged");
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(source + ": " + failures.size() + " publishes failed", failures.get(0));
    }
    client.disconnect().waitForCompletion(10_000);
    client.close();
  }
}
