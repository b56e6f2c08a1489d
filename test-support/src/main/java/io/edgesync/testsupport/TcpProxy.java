package io.edgesync.testsupport;

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
 * A TCP proxy on loopback in front of a server, for the two ways a link fails:
 * <ul>
 *   <li>{@link #cut()}: every open connection is reset and new ones are closed at once, as when
 *       a gateway's uplink goes away; {@link #restore()} lets connections through again;</li>
 *   <li>{@link #pause()}: nothing is read from either side, so the peers' socket buffers fill
 *       and their connections stay open with no answer, no error and no close, as when the
 *       server process is stopped (SIGSTOP) or hangs; {@link #resume()} moves the bytes again,
 *       in order.</li>
 * </ul>
 * One thread per direction per connection; fine for tests with a handful of connections.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong connections = new AtomicLong();
  private volatile boolean cut;
  private volatile boolean paused;
  private volatile boolean closed;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress("127.0.0.1", 0));
    Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + port());
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted and passed on so far. */
  public long connectionsAccepted() {
    return connections.get();
  }

  /** Cuts the link: resets every open connection and refuses new ones until {@link #restore()}. */
  public void cut() {
    cut = true;
    resetAll();
  }

  public void restore() {
    cut = false;
  }

  /** Stops moving bytes (connections stay open) until {@link #resume()}. */
  public void pause() {
    paused = true;
  }

  public void resume() {
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
      if (cut) {
        reset(client);
        continue;
      }
      connections.incrementAndGet();
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
      } catch (IOException e) {
        reset(client);
        reset(upstream);
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
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        while (!closed && !cut) {
          if (paused) {
            Thread.sleep(5);
            continue;
          }
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          // a read that started before a pause delivers after it, like a stopped process
          while (paused && !closed && !cut) {
            Thread.sleep(5);
          }
          if (cut) {
            break;
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException ignored) {
        // one side went away: close both
      } finally {
        reset(from);
        reset(to);
        open.remove(from);
        open.remove(to);
      }
    }, "tcp-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  private void resetAll() {
    for (Socket s : open) {
      reset(s);
    }
    open.clear();
  }

  private static void reset(Socket s) {
    try {
      s.setSoLinger(true, 0); // RST, like a dead link, not a polite FIN
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
    resetAll();
  }
}
