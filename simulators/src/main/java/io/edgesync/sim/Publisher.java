package io.edgesync.sim;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated device: an MQTT connection that publishes {@code messages} at a fixed rate,
 * with at most {@code window} QoS1 messages unacknowledged, and reconnects (with a
 * capped backoff) when the edge goes away. Messages not acknowledged when the connection
 * drops are published again after reconnecting (at-least-once, as a real device would);
 * the edge deduplicates them by their payload {@code id}.
 *
 * <p>All state is confined to the Vert.x context the publisher was started on.
 */
final class Publisher {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** A message to publish. */
  record Message(String topic, byte[] payload) {}

  private final Vertx vertx;
  private final String clientId;
  private final String host;
  private final int port;
  private final MqttQoS qos;
  private final int window;
  private final double ratePerSec;
  private final Supplier<Message> next;
  private final AtomicLong acked;
  private final long budget;
  private final ArrayDeque<Message> retry = new ArrayDeque<>();
  private final java.util.Map<Integer, Message> inFlight = new java.util.HashMap<>();
  private MqttClient client;
  private boolean connected;
  private boolean stopped;
  private long produced;
  private double credit;
  private long timerId = -1;
  private long backoffMs = 200;

  Publisher(Vertx vertx, String clientId, String host, int port, int qos, int window, double ratePerSec,
      long budget, Supplier<Message> next, AtomicLong acked) {
    this.vertx = vertx;
    this.clientId = clientId;
    this.host = host;
    this.port = port;
    this.qos = MqttQoS.valueOf(qos);
    this.window = window;
    this.ratePerSec = ratePerSec;
    this.budget = budget;
    this.next = next;
    this.acked = acked;
  }

  /** Starts on the caller's context. */
  void start() {
    Context ctx = vertx.getOrCreateContext();
    ctx.runOnContext(v -> {
      connect();
      timerId = vertx.setPeriodic(50, id -> tick());
    });
  }

  /** True once the budget is published and acknowledged. */
  boolean done() {
    return budget > 0 && produced >= budget && retry.isEmpty() && inFlight.isEmpty();
  }

  void stop() {
    stopped = true;
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    if (client != null && connected) {
      client.disconnect();
    }
  }

  private void connect() {
    if (stopped) {
      return;
    }
    MqttClientOptions options = new MqttClientOptions()
        .setClientId(clientId)
        .setCleanSession(false)
        .setMaxInflightQueue(Math.max(window, 10))
        .setKeepAliveInterval(30)
        .setAutoKeepAlive(true);
    client = MqttClient.create(vertx, options);
    client.publishCompletionHandler(this::onAck);
    client.closeHandler(v -> onClosed());
    client.connect(port, host).onComplete(ar -> {
      if (ar.succeeded() && ar.result().code() == io.netty.handler.codec.mqtt.MqttConnectReturnCode.CONNECTION_ACCEPTED) {
        connected = true;
        backoffMs = 200;
        LOG.info("[{}] connected to {}:{}", clientId, host, port);
      } else {
        LOG.info("[{}] cannot connect to {}:{} ({}); retrying in {} ms", clientId, host, port,
            ar.failed() ? ar.cause().getMessage() : ar.result().code(), backoffMs);
        scheduleReconnect();
      }
    });
  }

  private void onClosed() {
    if (!connected) {
      return;
    }
    connected = false;
    // whatever was not acknowledged is published again, in order, after reconnecting
    inFlight.keySet().stream().sorted().forEach(id -> retry.addFirst(inFlight.get(id)));
    inFlight.clear();
    LOG.info("[{}] connection lost; {} unacknowledged messages will be resent", clientId, retry.size());
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    if (stopped) {
      return;
    }
    long delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, 5_000);
    vertx.setTimer(delay, id -> connect());
  }

  private void onAck(int packetId) {
    if (inFlight.remove(packetId) != null) {
      acked.incrementAndGet();
    }
  }

  private void tick() {
    if (!connected || stopped) {
      return;
    }
    credit = Math.min(credit + ratePerSec * 0.05, Math.max(1, ratePerSec * 0.05) * 4);
    while (credit >= 1 && inFlight.size() < window) {
      Message m = retry.pollFirst();
      if (m == null) {
        if (budget > 0 && produced >= budget) {
          return;
        }
        m = next.get();
        produced++;
      }
      credit -= 1;
      Message msg = m;
      client.publish(msg.topic(), Buffer.buffer(msg.payload()), qos, false, false).onComplete(ar -> {
        if (ar.failed()) {
          retry.addFirst(msg);
        } else if (qos == MqttQoS.AT_MOST_ONCE) {
          acked.incrementAndGet();
        } else {
          inFlight.put(ar.result(), msg);
        }
      });
    }
  }
}
