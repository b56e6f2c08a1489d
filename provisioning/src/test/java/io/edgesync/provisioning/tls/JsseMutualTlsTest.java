package io.edgesync.provisioning.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JSSE server with the server-cert bundle requiring client certificates from the fleet CA; JSSE
 * clients with enrol bundles. Proves the files work with the JDK's own TLS stack and PEM parsing.
 */
@Timeout(60)
class JsseMutualTlsTest {
  @TempDir
  Path tmp;

  private final ExecutorService serverThread = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    serverThread.shutdownNow();
  }

  @Test
  void anEnrolledNodeCompletesMutualTlsWithTheCloudBundleByNameAndByIp() throws Exception {
    // GIVEN a cloud bundle for localhost,127.0.0.1 and an enrolled node
    Cli.Fleet f = Cli.fleet(tmp.resolve("a"), "edge-1");
    SSLContext server = serverContext(f.cloud());
    SSLContext client = TlsMaterial.context(f.nodes().get(0).resolve("node.key"), f.nodes().get(0).resolve("node.crt"),
        f.nodes().get(0).resolve("ca.crt"));

    for (String host : new String[] {"localhost", "127.0.0.1"}) {
      try (SSLServerSocket listener = listen(server)) {
        CompletableFuture<String> peer = acceptOne(listener);

        // WHEN the node connects, checking the server's name
        int echoed = exchange(client, host, listener.getLocalPort());

        // THEN both sides authenticated each other
        assertEquals(42, echoed, host);
        assertEquals("CN=edge-1", peer.get(20, TimeUnit.SECONDS), host);
      }
    }
  }

  @Test
  void aClientCertificateFromAnotherCaIsRejectedInTheHandshake() throws Exception {
    // GIVEN our fleet's cloud bundle and a node enrolled by a different fleet CA under the same id
    Cli.Fleet ours = Cli.fleet(tmp.resolve("ours"));
    Cli.Fleet theirs = Cli.fleet(tmp.resolve("theirs"), "edge-1");
    Path intruder = theirs.nodes().get(0);
    // the intruder trusts our CA, so only its own certificate can fail
    SSLContext client = TlsMaterial.context(intruder.resolve("node.key"), intruder.resolve("node.crt"),
        ours.cloud().resolve("ca.crt"));

    try (SSLServerSocket listener = listen(serverContext(ours.cloud()))) {
      CompletableFuture<String> peer = acceptOne(listener);

      // WHEN it connects
      assertThrows(IOException.class, () -> exchange(client, "localhost", listener.getLocalPort()));

      // THEN the server refused the handshake
      ExecutionException e = assertThrows(ExecutionException.class, () -> peer.get(20, TimeUnit.SECONDS));
      assertInstanceOf(SSLException.class, e.getCause());
      assertTrue(String.valueOf(e.getCause().getMessage()).contains("PKIX"), e.getCause().toString());
    }
  }

  @Test
  void aNodeRejectsAServerCertificateFromAnotherCa() throws Exception {
    // GIVEN a node of our fleet and a cloud bundle from another fleet
    Cli.Fleet ours = Cli.fleet(tmp.resolve("ours"), "edge-1");
    Cli.Fleet theirs = Cli.fleet(tmp.resolve("theirs"));
    Path node = ours.nodes().get(0);
    SSLContext client = TlsMaterial.context(node.resolve("node.key"), node.resolve("node.crt"), node.resolve("ca.crt"));

    try (SSLServerSocket listener = listen(serverContext(theirs.cloud()))) {
      CompletableFuture<String> peer = acceptOne(listener);

      SSLException e = assertThrows(SSLException.class, () -> exchange(client, "localhost", listener.getLocalPort()));

      assertTrue(String.valueOf(e.getMessage()).contains("PKIX"), e.toString());
      assertThrows(ExecutionException.class, () -> peer.get(20, TimeUnit.SECONDS));
    }
  }

  private static SSLContext serverContext(Path cloud) throws Exception {
    return TlsMaterial.context(cloud.resolve("server.key"), cloud.resolve("server.crt"), cloud.resolve("ca.crt"));
  }

  private static SSLServerSocket listen(SSLContext ctx) throws IOException {
    SSLServerSocket listener = (SSLServerSocket) ctx.getServerSocketFactory()
        .createServerSocket(0, 4, InetAddress.getLoopbackAddress());
    listener.setNeedClientAuth(true);
    listener.setSoTimeout(20_000);
    return listener;
  }

  /** Accepts one connection, completes the handshake, echoes one byte; yields the client's subject. */
  private CompletableFuture<String> acceptOne(SSLServerSocket listener) {
    return CompletableFuture.supplyAsync(() -> {
      try (SSLSocket s = (SSLSocket) listener.accept()) {
        s.setSoTimeout(20_000);
        s.startHandshake();
        String subject = s.getSession().getPeerPrincipal().getName();
        int b = s.getInputStream().read();
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return subject;
      } catch (IOException e) {
        // get() reports the IOException itself as the ExecutionException's cause
        throw new CompletionException(e);
      }
    }, serverThread);
  }

  /** Connects with hostname verification, sends 42, returns the byte read back (-1 on close). */
  private static int exchange(SSLContext ctx, String host, int port) throws IOException {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(host, port)) {
      s.setSoTimeout(20_000);
      SSLParameters params = s.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      s.setSSLParameters(params);
      s.startHandshake();
      s.getOutputStream().write(42);
      s.getOutputStream().flush();
      int b = s.getInputStream().read();
      if (b < 0) {
        throw new IOException("the server closed the connection");
      }
      return b;
    }
  }
}
