package io.edgesync.system;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Devices that behave like real ones when the edge crashes: each publishes its messages
 * 1..N at QoS1 (payload {@code {"id":"{source}-{n}","ts":..,"value":n}}), and when the
 * connection drops it reconnects with backoff and publishes again every message that was
 * not acknowledged (PUBACK), in order. A message acknowledged once is never sent again.
 * So in the end every message was acknowledged at least once, and some were stored by the
 * edge but sent twice: the edge must store each id once.
 */
final class RetryingDevices {
  private final int port;
  private final String prefix;
  private final String topicRoot;
  private final int devices;
  private final int perDevice;
  private final int window;
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile long deadlineNanos;

  RetryingDevices(int port, String prefix, String topicRoot, int devices, int perDevice, int window) {
    this.port = port;
    this.prefix = prefix;
    this.topicRoot = topicRoot;
    this.devices = devices;
    this.perDevice = perDevice;
    this.window = window;
  }

  static String source(String prefix, int device) {
    return String.format(Locale.ROOT, "%s-d%02d", prefix, device);
  }

  int total() {
    return devices * perDevice;
  }

  long acked() {
    return acked.get();
  }

  long reconnects() {
    return reconnects.get();
  }

  long resent() {
    return resent.get();
  }

  void start(Duration timeout) {
    deadlineNanos = System.nanoTime() + timeout.toNanos();
    for (int d = 0; d < devices; d++) {
      String source = source(prefix, d);
      Thread t = new Thread(() -> {
        try {
          runDevice(source);
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "device-" + source);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Waits until every message was acknowledged; fails with the progress otherwise. */
  void awaitAllAcked() throws InterruptedException {
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()) + 5_000));
    }
    if (!errors.isEmpty()) {
      throw new AssertionError("device failed: " + errors.get(0), errors.get(0));
    }
    if (acked.get() != total()) {
      throw new AssertionError("only " + acked.get() + " of " + total() + " messages were acknowledged in time");
    }
  }

  private void runDevice(String source) throws Exception {
    AtomicIntegerArray ack = new AtomicIntegerArray(perDevice + 1);
    String topic = topicRoot + "/" + source;
    int backoffMs = 100;
    int sentOnce = 0;
    while (System.nanoTime() < deadlineNanos) {
      int missing = 0;
      for (int n = 1; n <= perDevice; n++) {
        if (ack.get(n) == 0) {
          missing++;
        }
      }
      if (missing == 0) {
        return;
      }
      MqttAsyncClient client = new MqttAsyncClient("tcp://127.0.0.1:" + port, source, new MemoryPersistence());
      try {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(window + 10);
        o.setConnectionTimeout(5);
        o.setKeepAliveInterval(5);
        client.connect(o).waitForCompletion(6_000);
      } catch (MqttException e) {
        client.close(true);
        Thread.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 1_000);
        continue;
      }
      backoffMs = 100;
      Semaphore inFlight = new Semaphore(window);
      try {
        for (int n = 1; n <= perDevice && client.isConnected(); n++) {
          if (ack.get(n) != 0) {
            continue;
          }
          if (n <= sentOnce) {
            resent.incrementAndGet();
          }
          sentOnce = Math.max(sentOnce, n);
          while (!inFlight.tryAcquire(200, TimeUnit.MILLISECONDS)) {
            if (!client.isConnected()) {
              break;
            }
          }
          if (!client.isConnected()) {
            break;
          }
          int msg = n;
          String json = String.format(Locale.ROOT, "{\"id\":\"%s-%d\",\"ts\":%d,\"value\":%d}", source, msg,
              System.currentTimeMillis(), msg);
          MqttMessage m = new MqttMessage(json.getBytes(StandardCharsets.UTF_8));
          m.setQos(1);
          try {
            client.publish(topic, m, null, new IMqttActionListener() {
              @Override
              public void onSuccess(IMqttToken token) {
                if (ack.compareAndSet(msg, 0, 1)) {
                  acked.incrementAndGet();
                }
                inFlight.release();
              }

              @Override
              public void onFailure(IMqttToken token, Throwable e) {
                inFlight.release();
              }
            });
          } catch (MqttException e) {
            inFlight.release();
            break;
          }
        }
        // let the last acknowledgements of this connection arrive (or the connection die)
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.isConnected() && inFlight.availablePermits() < window && System.nanoTime() < until) {
          Thread.sleep(20);
        }
      } finally {
        if (client.isConnected()) {
          try {
            client.disconnect().waitForCompletion(2_000);
          } catch (MqttException ignored) {
            // closing anyway
          }
        } else {
          reconnects.incrementAndGet();
        }
        client.close(true);
      }
    }
  }
}
