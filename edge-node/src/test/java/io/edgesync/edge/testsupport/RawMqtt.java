package io.edgesync.edge.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A minimal MQTT 3.1.1 client over a plain socket, for what real clients will not do:
 * set DUP by hand, send garbage. Blocking; test threads only.
 */
public final class RawMqtt implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;

  public RawMqtt(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    in = new DataInputStream(socket.getInputStream());
  }

  /** Sends CONNECT (clean session, keep-alive 60 s) and checks the CONNACK is "accepted". */
  public void connect(String clientId) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, "MQTT");
    body.write(4); // protocol level 3.1.1
    body.write(0x02); // clean session
    body.write(0);
    body.write(60);
    writeString(body, clientId);
    send(0x10, body.toByteArray());
    expectConnack();
  }

  /** Sends an MQTT 5 CONNECT (clean start, no properties) and checks the CONNACK reason is success. */
  public void connect5(String clientId) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, "MQTT");
    body.write(5); // protocol level 5
    body.write(0x02); // clean start
    body.write(0);
    body.write(60);
    body.write(0); // no properties
    writeString(body, clientId);
    send(0x10, body.toByteArray());
    expectConnack();
  }

  /** Sends an MQTT 5 QoS1 PUBLISH (no properties). */
  public void publishQos1v5(String topic, int packetId, byte[] payload, boolean dup) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, topic);
    body.write(packetId >> 8);
    body.write(packetId & 0xFF);
    body.write(0); // no properties
    body.write(payload);
    send(0x32 | (dup ? 0x08 : 0), body.toByteArray());
  }

  private void expectConnack() throws IOException {
    int[] packet = readPacket();
    if (packet[0] != 0x20 || packet[3] != 0) {
      throw new IOException("CONNACK expected, got type 0x" + Integer.toHexString(packet[0]) + " rc " + packet[3]);
    }
  }

  /** Sends a QoS1 PUBLISH with the given DUP flag. */
  public void publishQos1(String topic, int packetId, byte[] payload, boolean dup) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, topic);
    body.write(packetId >> 8);
    body.write(packetId & 0xFF);
    body.write(payload);
    send(0x32 | (dup ? 0x08 : 0), body.toByteArray());
  }

  /** Reads one packet and returns its packet id when it is a PUBACK; fails otherwise. */
  public int readPuback() throws IOException {
    int[] p = readPacket();
    if (p[0] != 0x40) {
      throw new IOException("PUBACK expected, got type 0x" + Integer.toHexString(p[0]));
    }
    return (p[2] << 8) | p[3];
  }

  /** Writes raw bytes. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Whether the server closes the connection within the socket timeout (reads until EOF). */
  public boolean closedByServer() {
    try {
      InputStream s = socket.getInputStream();
      byte[] buf = new byte[256];
      while (s.read(buf) >= 0) {
        // drain whatever the server still sends before closing
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  private void send(int header, byte[] body) throws IOException {
    ByteArrayOutputStream p = new ByteArrayOutputStream();
    p.write(header);
    int len = body.length;
    do {
      int digit = len % 128;
      len /= 128;
      p.write(len > 0 ? digit | 0x80 : digit);
    } while (len > 0);
    p.write(body);
    out.write(p.toByteArray());
    out.flush();
  }

  /** Returns {type byte, remaining length, body bytes...}. */
  private int[] readPacket() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("connection closed");
    }
    int len = 0;
    int mult = 1;
    int b;
    do {
      b = in.readUnsignedByte();
      len += (b & 0x7F) * mult;
      mult *= 128;
    } while ((b & 0x80) != 0);
    byte[] body = new byte[len];
    in.readFully(body);
    int[] r = new int[2 + len];
    r[0] = type;
    r[1] = len;
    for (int i = 0; i < len; i++) {
      r[2 + i] = body[i] & 0xFF;
    }
    return r;
  }

  private static void writeString(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.write(bytes.length >> 8);
    b.write(bytes.length & 0xFF);
    b.writeBytes(bytes);
  }
}
