package io.edgesync.edge.mqtt.auth;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal MQTT client over a plain socket that speaks level 5 or 4 (3.1.1) and exposes
 * the reason codes (Paho 3 hides them; no MQTT 5 client is on the class path). Blocking; test
 * threads only.
 */
final class RawMqtt5 implements AutoCloseable {
  /** One received packet: the fixed header's type byte and the body. */
  record Packet(int type, byte[] body) {
    int u8(int i) {
      return body[i] & 0xFF;
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final int level;

  RawMqtt5(int port, int level) throws IOException {
    this.level = level;
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(15_000);
    out = socket.getOutputStream();
    in = new DataInputStream(socket.getInputStream());
  }

  /** Sends CONNECT (clean start) with optional user name / password; returns the CONNACK's reason/return code. */
  int connect(String clientId, String username, String password) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, "MQTT");
    b.write(level);
    int flags = 0x02 | (username != null ? 0x80 : 0) | (password != null ? 0x40 : 0);
    b.write(flags);
    b.write(0);
    b.write(60);
    if (level == 5) {
      b.write(0); // no properties
    }
    string(b, clientId);
    if (username != null) {
      string(b, username);
    }
    if (password != null) {
      string(b, password);
    }
    send(0x10, b.toByteArray());
    Packet p = read();
    if (p.type() != 0x20) {
      throw new IOException("CONNACK expected, got 0x" + Integer.toHexString(p.type()));
    }
    return p.u8(1);
  }

  /** QoS1 PUBLISH without waiting for anything. */
  void publishQos1NoAck(String topic, int packetId, String payload) throws IOException {
    sendPublish(topic, packetId, payload);
  }

  /** QoS1 PUBLISH; returns the PUBACK's reason code (0 when the PUBACK has none). */
  int publishQos1(String topic, int packetId, String payload) throws IOException {
    sendPublish(topic, packetId, payload);
    Packet p = read();
    if (p.type() != 0x40 || ((p.u8(0) << 8) | p.u8(1)) != packetId) {
      throw new IOException("PUBACK for " + packetId + " expected, got 0x" + Integer.toHexString(p.type()));
    }
    return p.body().length > 2 ? p.u8(2) : 0;
  }

  private void sendPublish(String topic, int packetId, String payload) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    string(b, topic);
    b.write(packetId >> 8);
    b.write(packetId & 0xFF);
    if (level == 5) {
      b.write(0);
    }
    b.writeBytes(payload.getBytes(StandardCharsets.UTF_8));
    send(0x32, b.toByteArray());
  }

  /** SUBSCRIBE with one filter at QoS1; returns the SUBACK's code. */
  int subscribe(String filter, int packetId) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(packetId >> 8);
    b.write(packetId & 0xFF);
    if (level == 5) {
      b.write(0);
    }
    string(b, filter);
    b.write(1);
    send(0x82, b.toByteArray());
    Packet p = read();
    if (p.type() != 0x90) {
      throw new IOException("SUBACK expected, got 0x" + Integer.toHexString(p.type()));
    }
    return level == 5 ? p.u8(3) : p.u8(2); // level 5: packet id, properties length 0, code
  }

  /** Whether the server closes the connection (reads until EOF or the socket timeout). */
  boolean closedByServer() {
    try {
      while (in.read() >= 0) {
        // drain
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private Packet read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed");
    }
    int len = 0;
    int mult = 1;
    int x;
    do {
      x = in.readUnsignedByte();
      len += (x & 0x7F) * mult;
      mult *= 128;
    } while ((x & 0x80) != 0);
    byte[] body = new byte[len];
    in.readFully(body);
    return new Packet(type, body);
  }

  private void send(int header, byte[] body) throws IOException {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(header);
    int len = body.length;
    do {
      int d = len % 128;
      len /= 128;
      p.write(len > 0 ? d | 0x80 : d);
    } while (len > 0);
    p.writeBytes(body);
    out.write(p.toByteArray());
    out.flush();
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.write(bytes.length >> 8);
    b.write(bytes.length & 0xFF);
    b.writeBytes(bytes);
  }
}
