package io.edgesync.provisioning.fleet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * File writes for key material: each file is written to a temporary file in the same folder
 * (created with its final permissions, so a key is never readable by others, not even briefly),
 * fsync'd, then atomically renamed over the target. Permissions are POSIX where the file system
 * supports them and left to the platform elsewhere.
 *
 * <p>Stateless; blocking I/O (a CLI, not an event loop).
 */
public final class SecureFiles {
  /** rw------- : private keys. */
  public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  /** rw-r--r-- : certificates, configs. */
  public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
  /** rwxr-xr-x : scripts. */
  public static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
  /** rwx------ : the fleet folder and fresh bundle folders. */
  public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

  private SecureFiles() {}

  /** Creates {@code dir} (and parents) when missing; a folder this call creates gets mode 0700. */
  public static void createPrivateDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    if (Files.exists(dir)) {
      throw new FileAlreadyExistsException(dir + " exists and is not a folder");
    }
    Files.createDirectories(dir);
    restrict(dir, PRIVATE_DIR);
  }

  /** Sets {@code permissions} on {@code path} when the file system is POSIX. */
  public static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
    if (isPosix(path)) {
      Files.setPosixFilePermissions(path, permissions);
    }
  }

  /** Atomically replaces {@code file} with {@code content}, mode {@code permissions}. */
  public static void write(Path file, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = isPosix(dir)
        ? Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
        : Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      restrict(tmp, permissions);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static boolean isPosix(Path path) throws IOException {
    Path p = path.toAbsolutePath();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    return p != null && Files.getFileStore(p).supportsFileAttributeView(PosixFileAttributeView.class);
  }
}
