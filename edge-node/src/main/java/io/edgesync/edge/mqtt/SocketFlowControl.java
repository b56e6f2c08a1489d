package io.edgesync.edge.mqtt;

import io.vertx.core.net.NetSocket;
import io.vertx.mqtt.MqttEndpoint;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the {@link NetSocket} under a vertx-mqtt server endpoint, so that the ingest can
 * stop reading a client's socket ({@link NetSocket#pause()}: Netty auto-read off, TCP
 * pushes back on the client) and resume it later.
 *
 * <p>Why reflection: vertx-mqtt 5.0.8's {@code MqttEndpoint} exposes no pause/resume;
 * its implementation {@code MqttEndpointImpl} keeps the connection's socket in the private
 * field {@code conn} (a {@code NetSocketInternal}, whose {@code pause()}/{@code resume()}
 * toggle the channel's auto-read when a message handler is installed, as vertx-mqtt does).
 * The field is read once per connection. When it cannot be read (another vertx-mqtt
 * version), this returns null, logs once, and the ingest falls back to withholding the
 * PUBACK (the client's in-flight window then bounds it) plus fail-fast on a full log.
 */
final class SocketFlowControl {
  private static final Logger LOG = LoggerFactory.getLogger(SocketFlowControl.class);
  private static final Field CONN = findField();

  private SocketFlowControl() {}

  /** Whether sockets can be paused with this vertx-mqtt. */
  static boolean available() {
    return CONN != null;
  }

  /** The endpoint's socket, or null when unavailable. */
  static NetSocket socketOf(MqttEndpoint endpoint) {
    if (CONN == null || !CONN.getDeclaringClass().isInstance(endpoint)) {
      return null;
    }
    try {
      return (NetSocket) CONN.get(endpoint);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  private static Field findField() {
    try {
      Class<?> impl = Class.forName("io.vertx.mqtt.impl.MqttEndpointImpl");
      Field f = impl.getDeclaredField("conn");
      if (!NetSocket.class.isAssignableFrom(f.getType())) {
        throw new NoSuchFieldException("conn is a " + f.getType().getName());
      }
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("MQTT socket pause is unavailable with this vertx-mqtt ({}); backpressure relies on "
          + "withheld PUBACKs and fail-fast appends", e.toString());
      return null;
    }
  }
}
