package io.edgesync.cloud.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.cloud.testkit.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line: --help and fail-fast configuration errors (SPEC §2). */
@Timeout(30)
class CloudMainTest {
  @TempDir
  Path tmp;

  private record Run(int code, String out, String err) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }
  }

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = CloudMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private String[] tlsArgs(String... more) {
    TestPki pki = TestPki.create(tmp.resolve("pki"));
    List<String> a = new java.util.ArrayList<>(List.of(
        "--set", "tls.cert=" + pki.server().cert(),
        "--set", "tls.key=" + pki.server().key(),
        "--set", "tls.ca=" + pki.caCert()));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void negativeIngestPortExitsWith2AndOneStderrLineNamingTheKey() {
    Run r = run(tlsArgs("--set", "ingest.port=-1"));

    assertEquals(2, r.code());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().contains("ingest.port"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void unknownKeyInTheConfigFileExitsWith2NamingTheKey() throws Exception {
    Path yaml = tmp.resolve("cloud.yaml");
    Files.writeString(yaml, "ingest:\n  prot: 9443\n");
    Run r = run(tlsArgs("--config", yaml.toString()));

    assertEquals(2, r.code());
    assertEquals(List.of("cloud.yaml: unknown key ingest.prot"), r.errLines());
  }

  @Test
  void missingCertificateExitsWith2NamingTheKey() {
    Run r = run("--set", "tls.cert=" + tmp.resolve("nope.crt"));

    assertEquals(2, r.code());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("command line: tls.cert names no readable file"), r.err());
  }

  @Test
  void unreachableKafkaFailsTheStartWithExit1AndOneLine() {
    long t0 = System.nanoTime();
    Run r = run(tlsArgs("--set", "kafka.bootstrap=localhost:1", "--set", "kafka.timeoutMs=1000",
        "--set", "ingest.port=0", "--set", "http.port=0"));

    assertEquals(1, r.code());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("cloud-ingest: cannot start: Kafka at localhost:1"), r.err());
    assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "gave up within the timeout, not hung");
  }

  @Test
  void helpListsEveryKeyWithItsDefaultAndExitsWith0() {
    Run r = run("--help");

    assertEquals(0, r.code());
    assertEquals("", r.err());
    for (CloudConfig.Key k : CloudConfig.KEYS) {
      assertTrue(r.out().contains(k.name()), k.name());
    }
    assertTrue(r.out().contains("ingest.gapWaitMs") && r.out().contains("kafka.maxTxnBatches"));
  }
}
