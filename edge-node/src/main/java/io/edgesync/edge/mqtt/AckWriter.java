package io.edgesync.edge.mqtt;

import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageFactory;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttPubReplyMessageVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.mqtt.MqttEndpoint;

/**
 * Writes the QoS1 PUBACKs of one connection without flushing each: a group commit completes
 * hundreds of appends of a connection in one event-loop task, and one PUBACK = one
 * {@code writeAndFlush} (one {@code write(2)} syscall of 4 bytes) was 21 % of the edge's CPU
 * (docs/BENCHMARKS.md). Here each PUBACK is written into the Netty channel's outbound buffer
 * without a flush and one flush is scheduled per connection on its context; it runs after the
 * task that completed the group, so all the PUBACKs of that group go out in one flush. Vert.x'
 * own {@code write(msg, false)} cannot do this: outside a channel read it always flushes. The
 * writes go to the channel handler context of the Vert.x connection (the same place Vert.x
 * writes to, through the MQTT encoder), on the event loop, so the PUBACKs of a connection keep
 * the order of their writes and stay in order with what vertx-mqtt writes on that loop.
 *
 * <p>Guarantee unchanged: a PUBACK is still written only when its append is durable; what is
 * delayed is the flush, by at most the rest of the current event-loop task.
 *
 * <p>Falls back to vertx-mqtt's {@link MqttEndpoint#publishAcknowledge(int)} (write and flush)
 * when the endpoint's socket is not Vert.x' {@link VertxConnection} (another Vert.x version).
 *
 * <p>Threads: every method on the connection's event loop (its {@link Context}); not
 * thread-safe.
 */
final class AckWriter {
  private static final MqttFixedHeader PUBACK_HEADER =
      new MqttFixedHeader(MqttMessageType.PUBACK, false, MqttQoS.AT_MOST_ONCE, false, 0);

  private final MqttEndpoint endpoint;
  private final ChannelHandlerContext channel; // null: fall back to the endpoint
  private final VertxConnection connection;
  private final Context context;
  private final Runnable flushed;
  private boolean flushScheduled;
  private int unflushed;

  /**
   * @param socket  the endpoint's socket ({@link SocketFlowControl#socketOf}), may be null
   * @param flushed called after each coalesced flush (metrics); on the context
   */
  AckWriter(MqttEndpoint endpoint, NetSocket socket, Context context, Runnable flushed) {
    this.endpoint = endpoint;
    boolean direct = socket instanceof VertxConnection && socket instanceof NetSocketInternal;
    this.connection = direct ? (VertxConnection) socket : null;
    this.channel = direct ? ((NetSocketInternal) socket).channelHandlerContext() : null;
    this.context = context;
    this.flushed = flushed;
  }

  /** Whether PUBACKs are coalesced (false: one write and flush each). */
  boolean coalescing() {
    return channel != null;
  }

  /**
   * Writes a PUBACK for {@code packetId}; flushed at the end of the current task.
   *
   * @throws IllegalStateException when the endpoint is closed (fallback path only)
   */
  void puback(int packetId) {
    if (channel == null) {
      endpoint.publishAcknowledge(packetId);
      return;
    }
    MqttMessage ack = MqttMessageFactory.newMessage(PUBACK_HEADER,
        new MqttPubReplyMessageVariableHeader(packetId, (byte) 0, MqttProperties.NO_PROPERTIES), null);
    // the connection's void promise does not fire exceptionCaught: a write to a closed channel
    // is dropped (the client redelivers; the dedup state acknowledges without storing)
    channel.write(ack, connection.voidPromise);
    unflushed++;
    if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushScheduled = false;
    if (unflushed > 0) {
      unflushed = 0;
      channel.flush();
      flushed.run();
    }
  }
}
