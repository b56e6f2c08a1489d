package io.edgesync.system;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * One MQTT device (Eclipse Paho) publishing QoS1 JSON at a steady rate on its own thread until
 * {@link #close()}: for tests that need load over a stretch of time rather than a burst. At most
 * {@code window} messages unacknowledged; counts what the edge acknowledged.
 */
final class PacedPublisher implements AutoCloseable {
  private final MqttAsyncClient client;
  private final Thread thread;
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private volatile boolean running = true;

  PacedPublisher(int port, String source, int perSecond) throws Exception {
    client = new MqttAsyncClient("tcp://127.0.0.1:" + port, source, new MemoryPersistence());
    MqttConnectOptions o = new MqttConnectOptions();
    o.setCleanSession(true);
    o.setMaxInflight(1000);
    client.connect(o).waitForCompletion(30_000);
    long periodNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    IMqttActionListener onAck = new IMqttActionListener() {
      @Override
      public void onSuccess(IMqttToken token) {
        acked.incrementAndGet();
      }

      @Override
      public void onFailure(IMqttToken token, Throwable e) {
        // counted as not acknowledged
      }
    };
    thread = new Thread(() -> {
      long next = System.nanoTime();
      String topic = "sensors/" + source + "/temp";
      while (running) {
        long n = sent.get() + 1;
        if (n - acked.get() < 900) {
          String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%d}", source, n,
              System.currentTimeMillis(), n % 100);
          MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
          m.setQos(1);
          try {
            client.publish(topic, m, null, onAck);
            sent.incrementAndGet();
          } catch (Exception e) {
            return;
          }
        }
        next += periodNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }, "paced-" + source);
    thread.setDaemon(true);
    thread.start();
  }

  long acked() {
    return acked.get();
  }

  @Override
  public void close() throws Exception {
    running = false;
    thread.join(10_000);
    try {
      client.disconnect().waitForCompletion(10_000);
    } finally {
      client.close();
    }
  }
}
