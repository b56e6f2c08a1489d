package io.edgesync.provisioning.fleet;

import io.edgesync.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * An exclusive OS file lock on {@code FLEET/.lock}, so that two provisioning commands never
 * interleave their read-modify-write of nodes.json and crl.pem. Waits a bounded time.
 */
public final class FleetLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private FleetLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock, polling every 50 ms for at most {@code maxWait}.
   *
   * @throws ProvisioningException when another command still holds it after {@code maxWait}
   */
  static FleetLock acquire(Path lockFile, Duration maxWait) throws IOException {
    FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + maxWait.toNanos();
    try {
      while (true) {
        FileLock lock = channel.tryLock();
        if (lock != null) {
          return new FleetLock(channel, lock);
        }
        if (System.nanoTime() - deadline > 0) {
          throw new ProvisioningException("another provisioning command holds " + lockFile + " (waited "
              + maxWait.toSeconds() + " s)");
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ProvisioningException("interrupted while waiting for " + lockFile, e);
        }
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
