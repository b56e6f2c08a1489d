package io.edgesync.edge.mqtt;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Context;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.mqtt.MqttEndpoint;

/**
 * Writes the QoS1 PUBACKs of one connection in batches: a group commit completes hundreds of
 * appends of a connection in one event-loop task, and one PUBACK = one {@code writeAndFlush}
 * through the pipeline (an encoder pass, a buffer and a {@code write(2)} syscall of 4 bytes)
 * was 16-21 % of the edge's CPU (docs/BENCHMARKS.md). Here the PUBACKs are appended to one
 * buffer, and one write-and-flush per connection is scheduled on its context; it runs after
 * the task that completed the group, so all the PUBACKs of that group leave in one write.
 *
 * <p>Wire format: a PUBACK with reason Success and no properties is the same 4 bytes in MQTT
 * 3.1, 3.1.1 and 5 ({@code 0x40 0x02} + packet id, big-endian; MQTT 5 §3.4.2.1 lets the reason
 * code and properties be omitted). The buffer goes to the channel handler context of the Vert.x
 * connection (where vertx-mqtt's messages go too); the MQTT encoder lets a ByteBuf pass as is.
 *
 * <p>Order: the PUBACKs of a connection leave in the order of {@link #puback} calls, i.e. in
 * PUBLISH order per connection for appends completed in order (MQTT 3.1.1 §4.6). Anything else
 * that acknowledges a PUBLISH through the endpoint must call {@link #flush()} first.
 *
 * <p>Guarantee unchanged: {@link #puback} is called only once the append is durable; what is
 * delayed is the write, by at most the rest of the current event-loop task.
 *
 * <p>Falls back to vertx-mqtt's {@link MqttEndpoint#publishAcknowledge(int)} (write and flush
 * each) when the endpoint's socket is not Vert.x' {@link VertxConnection} (another Vert.x
 * version).
 *
 * <p>Threads: every method on the connection's event loop (its {@link Context}); not
 * thread-safe.
 */
final class AckWriter {
  private static final int PUBACK_BYTES = 4;
  private static final int PUBACK_TYPE = 0x40;
  private static final int REMAINING_LENGTH = 0x02;
  /** A batch larger than this is written at once (the buffer stays small under any load). */
  private static final int MAX_BATCH_BYTES = 16 * 1024;

  private final MqttEndpoint endpoint;
  private final ChannelHandlerContext channel; // null: fall back to the endpoint
  private final VertxConnection connection;
  private final Context context;
  private final Runnable flushed;
  private ByteBuf pending; // unpooled heap: nothing to release if a task never runs
  private boolean flushScheduled;

  /**
   * @param socket  the endpoint's socket ({@link SocketFlowControl#socketOf}), may be null
   * @param flushed called after each batched write (metrics); on the context
   */
  AckWriter(MqttEndpoint endpoint, NetSocket socket, Context context, Runnable flushed) {
    this.endpoint = endpoint;
    boolean direct = socket instanceof VertxConnection && socket instanceof NetSocketInternal;
    this.connection = direct ? (VertxConnection) socket : null;
    this.channel = direct ? ((NetSocketInternal) socket).channelHandlerContext() : null;
    this.context = context;
    this.flushed = flushed;
  }

  /** Whether PUBACKs are batched (false: one write and flush each). */
  boolean batching() {
    return channel != null;
  }

  /**
   * Queues a PUBACK for {@code packetId}; written at the end of the current task.
   *
   * @throws IllegalStateException when the endpoint is closed (fallback path only)
   */
  void puback(int packetId) {
    if (channel == null) {
      endpoint.publishAcknowledge(packetId);
      return;
    }
    if (pending == null) {
      pending = Unpooled.buffer(256);
    }
    pending.writeByte(PUBACK_TYPE).writeByte(REMAINING_LENGTH).writeShort(packetId);
    if (pending.readableBytes() >= MAX_BATCH_BYTES) {
      flush();
    } else if (!flushScheduled) {
      flushScheduled = true;
      context.runOnContext(v -> {
        flushScheduled = false;
        flush();
      });
    }
  }

  /** Writes and flushes the queued PUBACKs now, if any. */
  void flush() {
    ByteBuf batch = pending;
    if (batch == null) {
      return;
    }
    pending = null;
    // the connection's void promise does not fire exceptionCaught: PUBACKs to a closed channel
    // are dropped (and the buffer released); the client redelivers, the dedup state acknowledges
    channel.writeAndFlush(batch, connection.voidPromise);
    flushed.run();
  }

  /** PUBACKs queued and not yet written. */
  int queued() {
    return pending == null ? 0 : pending.readableBytes() / PUBACK_BYTES;
  }
}
