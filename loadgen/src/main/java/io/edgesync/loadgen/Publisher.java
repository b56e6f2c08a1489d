package io.edgesync.loadgen;

import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;

/**
 * One MQTT connection (Vert.x MqttClient) publishing {@code quota} messages on
 * {@code <prefix><index>} with at most {@code window} unacknowledged, at a paced rate or as
 * fast as possible. All state is confined to the connection's own event-loop context.
 *
 * <p>QoS1: latency = publish() call → PUBACK, timed per packet id; every n-th is kept in this
 * publisher's preallocated {@code latencies} (n from {@link Percentiles#stride}). QoS0: "acknowledged" = publish() future completed
 * (written), no latency. {@link #pump()} is guarded against re-entry: publish() futures can
 * complete synchronously, and recursing from their handlers overflows the stack.
 *
 * <p>Payload: {@code {"id":"<tag>-c<i>-<n>","ts":<epoch ms>,"tn":<epoch µs>,"value":<n>,"pad":"xx…"}}
 * padded to {@code payloadSize} bytes (never shorter than the fields) with pseudo-random lower-case
 * letters, so that compression figures are not flattered by a constant pad (ProducerPerformance
 * also uses random letters). The letters are drawn once into {@link #LETTERS} and each message
 * takes the next slice of it: drawing them per message (a 64-bit modulo per letter) cost three
 * times the CPU of building the rest of the payload, on the cores the benchmark measures. The
 * table (8 MiB) is far larger than what any compressor sees at once (a forwarded batch holds
 * ~450 KB of envelopes, a Kafka producer batch 128 KiB), so a pad never repeats within one.
 */
final class Publisher {
  private final Vertx vertx;
  private final Context ctx;
  private final String host;
  private final int port;
  private final MqttQoS qos;
  private final String topic;
  private final String idPrefix;
  private final int payloadSize;
  private final int window;
  private final long quota;
  private final double ratePerSec;
  private final long[] latencies; // every latencyStride-th PUBACK's latency (ns), the first `recorded` of them
  private final int latencyStride; // Percentiles.stride of all the publishers' messages together
  private long pubacks;
  private final long[] sentAtByPacket = new long[65536];
  private final Promise<Void> done = Promise.promise();
  private MqttClient client;
  private long sent;
  private long acked;
  private int inFlight;
  private int recorded;
  private boolean pumping;
  private boolean pumpAgain;
  private double credit;
  private long lastTick;
  private long timerId = -1;
  private volatile long ackedSnapshot;
  private int letterAt;

  /** Pseudo-random lower-case letters (xorshift64), drawn once; publishers copy slices of it. */
  private static final byte[] LETTERS = letters(8 << 20);

  Publisher(Vertx vertx, int index, String host, int port, int qos, String topicPrefix, String tag, int payloadSize,
      int window, long quota, double ratePerSec, int latencyStride) {
    this.vertx = vertx;
    this.ctx = vertx.getOrCreateContext();
    this.host = host;
    this.port = port;
    this.qos = MqttQoS.valueOf(qos);
    this.topic = topicPrefix + index;
    this.idPrefix = tag + "-c" + index + "-";
    this.payloadSize = payloadSize;
    this.window = window;
    this.quota = quota;
    this.ratePerSec = ratePerSec;
    this.latencyStride = latencyStride;
    this.latencies = new long[Percentiles.slots(quota, latencyStride)];
    this.letterAt = (int) ((index * 1_048_573L) % LETTERS.length); // each connection its own stretch
  }

  /** Connects on this publisher's context. */
  Future<Void> connect() {
    Promise<Void> connected = Promise.promise();
    ctx.runOnContext(v -> {
      MqttClientOptions options = new MqttClientOptions()
          .setClientId("bench-" + idPrefix.substring(0, idPrefix.length() - 1))
          .setCleanSession(true)
          .setMaxInflightQueue(65535)
          .setKeepAliveInterval(60)
          .setAutoKeepAlive(true);
      client = MqttClient.create(vertx, options);
      client.publishCompletionHandler(this::onPuback);
      client.closeHandler(x -> {
        if (!done.future().isComplete()) {
          done.tryFail("connection closed after " + acked + " of " + quota + " acknowledged");
        }
      });
      client.connect(port, host).onComplete(ar -> {
        if (ar.succeeded() && ar.result().code() == MqttConnectReturnCode.CONNECTION_ACCEPTED) {
          connected.complete();
        } else {
          connected.fail(ar.failed() ? ar.cause().toString() : "CONNACK " + ar.result().code());
        }
      });
    });
    return connected.future();
  }

  /** Starts publishing; the future completes once every message is acknowledged. */
  Future<Void> run() {
    ctx.runOnContext(v -> {
      if (quota == 0) {
        done.tryComplete();
        return;
      }
      if (ratePerSec > 0) {
        lastTick = System.nanoTime();
        credit = 1;
        timerId = vertx.setPeriodic(5, id -> {
          long now = System.nanoTime();
          credit = Math.min(credit + ratePerSec * (now - lastTick) / 1e9, Math.max(2, ratePerSec * 0.05));
          lastTick = now;
          pump();
        });
      }
      pump();
    });
    return done.future();
  }

  long acked() {
    return ackedSnapshot;
  }

  int recorded() {
    return recorded;
  }

  /** The recorded PUBACK latencies (ns): the first {@link #recorded()} entries. Read after the run. */
  long[] latencies() {
    return latencies;
  }

  void close() {
    ctx.runOnContext(v -> {
      if (timerId >= 0) {
        vertx.cancelTimer(timerId);
      }
      if (client != null && client.isConnected()) {
        client.disconnect();
      }
    });
  }

  private void pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (sent < quota && inFlight < window && (ratePerSec <= 0 || credit >= 1)) {
          if (ratePerSec > 0) {
            credit -= 1;
          }
          publishOne();
        }
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  private void publishOne() {
    long n = ++sent;
    inFlight++;
    Buffer payload = payload(n);
    long t0 = System.nanoTime();
    client.publish(topic, payload, qos, false, false).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail("publish failed: " + ar.cause());
        return;
      }
      if (qos == MqttQoS.AT_MOST_ONCE) {
        inFlight--;
        onAcked();
      } else {
        sentAtByPacket[ar.result()] = t0;
      }
    });
  }

  private void onPuback(int packetId) {
    long t0 = sentAtByPacket[packetId];
    if (t0 != 0 && pubacks++ % latencyStride == 0 && recorded < latencies.length) {
      latencies[recorded++] = System.nanoTime() - t0;
    }
    sentAtByPacket[packetId] = 0;
    inFlight--;
    onAcked();
  }

  private void onAcked() {
    acked++;
    if ((acked & 255) == 0 || acked == quota) {
      ackedSnapshot = acked;
    }
    if (acked >= quota) {
      ackedSnapshot = acked;
      done.tryComplete();
      return;
    }
    pump();
  }

  Buffer payload(long n) {
    StringBuilder sb = new StringBuilder(96);
    sb.append("{\"id\":\"").append(idPrefix).append(n).append("\",\"ts\":").append(System.currentTimeMillis())
        .append(",\"tn\":").append(Clock.micros()).append(",\"value\":").append(n).append(",\"pad\":\"");
    int head = sb.length();
    int pad = Math.max(0, payloadSize - head - 2);
    byte[] bytes = new byte[head + pad + 2];
    for (int i = 0; i < head; i++) {
      bytes[i] = (byte) sb.charAt(i); // ASCII
    }
    for (int copied = 0; copied < pad; ) {
      int chunk = Math.min(pad - copied, LETTERS.length - letterAt);
      System.arraycopy(LETTERS, letterAt, bytes, head + copied, chunk);
      copied += chunk;
      letterAt = (letterAt + chunk) % LETTERS.length;
    }
    bytes[head + pad] = '"';
    bytes[head + pad + 1] = '}';
    return Buffer.buffer(bytes);
  }

  private static byte[] letters(int size) {
    byte[] out = new byte[size];
    long rnd = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < size; i++) {
      rnd ^= rnd << 13;
      rnd ^= rnd >>> 7;
      rnd ^= rnd << 17;
      out[i] = (byte) ('a' + (int) ((rnd >>> 33) % 26));
    }
    return out;
  }
}
