package io.edgesync.edge.log;

import static io.edgesync.edge.testsupport.Poll.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.edgesync.edge.testsupport.LogContents;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §6.5, a full disk: the log on a real 96 MiB file system (a tmpfs mounted for the test;
 * it needs root, and is skipped without it) that fills before the quota. Appends then fail (their
 * clients get no acknowledgement), nothing acknowledged is lost, and once space is free again the
 * log resumes by itself.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventLogDiskFullTest {
  @TempDir
  Path dir;
  private Path disk;
  private boolean mounted;
  private EventLog log;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    disk = Files.createDirectories(dir.resolve("small-disk"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs", disk.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    assumeTrue(mounted, "mounting a 96 MiB tmpfs needs root: " + out.trim());
  }

  @AfterEach
  void unmount() throws Exception {
    if (log != null) {
      log.close();
    }
    if (mounted) {
      new ProcessBuilder("umount", "-l", disk.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static byte[] envelope(int i) {
    String payload = "{\"id\":\"e-" + i + "\",\"pad\":\"" + "x".repeat(1000) + "\"}";
    return EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, "dev", "t/dev", "e-" + i, i, i,
        payload.getBytes(StandardCharsets.UTF_8)));
  }

  /** Appends {@code from .. from+n-1} from one event loop; returns how many each way (ok, failed). */
  private int[] append(Vertx vertx, int from, int n) {
    List<Future<Long>> all = new ArrayList<>();
    await(vertx.deployVerticle((Context ctx) -> {
      for (int i = from; i < from + n; i++) {
        all.add(log.append(envelope(i)));
      }
      return Future.join(all).otherwiseEmpty();
    }), 60);
    int ok = (int) all.stream().filter(Future::succeeded).count();
    return new int[] {ok, n - ok};
  }

  @Test
  void aFullDiskFailsAppendsLosesNoAcknowledgedEventAndTheLogResumesOnceSpaceIsFree(Vertx vertx) throws IOException {
    // GIVEN a log whose 2 GiB quota is far above the disk it shares with a 64 MiB file of someone else
    Path other = Files.write(disk.resolve("other-file"), new byte[64 * 1024 * 1024]);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    log = EventLog.open(disk.resolve("db"), new LogSettings(65_536, 16L * 1024 * 1024, 4096), vertx, registry);

    // WHEN 1 KiB events are appended, 200 at a time, until the disk is full
    List<Integer> acknowledged = new ArrayList<>();
    int next = 0;
    int failed = 0;
    while (failed == 0 && next < 90_000) {
      int[] r = append(vertx, next, 200);
      if (r[1] == 0) {
        for (int i = next; i < next + 200; i++) {
          acknowledged.add(i);
        }
      } else {
        failed = r[1];
      }
      next += 200;
    }

    // THEN appends fail with the reason, counted, and the log says why
    assertTrue(failed > 0, "the disk never filled");
    assertNotNull(log.writeError());
    assertTrue(log.writeError().contains("No space"), log.writeError());
    assertTrue(registry.get("edge.log.write.errors").counter().count() >= 1);

    // WHEN the other file is deleted
    Files.delete(other);

    // THEN within 30 s the log takes appends again by itself (RocksDB's default SstFileManager clears
    // a "no space" error once the free space exceeds its reserve, the memtables' size) and says so
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int resumedAt = -1;
    while (resumedAt < 0 && System.nanoTime() < deadline) {
      if (append(vertx, 100_000, 1)[0] == 1) {
        resumedAt = 100_000;
      } else {
        await(vertx.timer(200), 5);
      }
    }
    assertEquals(100_000, resumedAt, "the log did not resume within 30 s: " + log.writeError() + "; RocksDB says: "
        + rocksLog());
    assertNull(log.writeError());
    assertEquals(100, append(vertx, 100_001, 100)[0]);

    // AND every acknowledged event is in the log once, in order, followed by the new ones
    List<String> ids = LogContents.of(log, Priority.NORMAL).stream().map(Event::explicitId).toList();
    List<String> expected = new ArrayList<>(acknowledged.stream().map(i -> "e-" + i).toList());
    // events of the failing batches that were acknowledged before the failure are kept too
    List<String> beforeResume = ids.subList(0, ids.size() - 101);
    assertEquals(expected, beforeResume.subList(0, expected.size()));
    assertEquals(beforeResume.size(), beforeResume.stream().distinct().count(), "no event stored twice");
    assertEquals("e-100000", ids.get(ids.size() - 101));
    assertEquals("e-100100", ids.get(ids.size() - 1));
  }

  /** RocksDB's own log lines about errors and recovery, for a failure message. */
  private String rocksLog() throws IOException {
    return String.join("\n", Files.readAllLines(disk.resolve("db").resolve("LOG")).stream()
        .filter(l -> l.contains("rror") || l.contains("ecover") || l.contains("esum") || l.contains("space"))
        .toList());
  }
}
