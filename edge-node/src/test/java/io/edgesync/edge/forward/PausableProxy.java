package io.edgesync.edge.forward;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback in front of a server that can be <em>paused</em>, as when the server
 * process is stopped (SIGSTOP) or hangs: while paused it reads nothing from either side, so the
 * peers' socket buffers fill and their connections stay open, with no answer, no error and no
 * close. {@link #resume()} moves the bytes again, in order. One thread per direction per
 * connection.
 */
final class PausableProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private volatile boolean paused;
  private volatile boolean closed;

  PausableProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread t = new Thread(this::acceptLoop, "pausable-proxy-" + port());
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Connections accepted so far. */
  long connections() {
    return connections.get();
  }

  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      connections.incrementAndGet();
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress("127.0.0.1", targetPort), 5_000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      open.add(client);
      open.add(upstream);
      pipe(client, upstream);
      pipe(upstream, client);
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        while (!closed) {
          if (paused) {
            Thread.sleep(5);
            continue;
          }
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          // a read that started before the pause delivers after it, like a stopped process
          while (paused && !closed) {
            Thread.sleep(5);
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException ignored) {
        // one side went away: close both
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "pausable-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
    open.clear();
  }
}
