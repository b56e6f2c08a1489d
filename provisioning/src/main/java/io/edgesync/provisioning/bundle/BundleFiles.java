package io.edgesync.provisioning.bundle;

import io.edgesync.provisioning.fleet.SecureFiles;
import io.edgesync.provisioning.pki.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Writes a bundle's files into one folder and remembers what it wrote, in order. */
final class BundleFiles {
  private final Path dir;
  private final List<Path> written = new ArrayList<>();

  BundleFiles(Path dir) throws IOException {
    this.dir = dir.toAbsolutePath().normalize();
    SecureFiles.createPrivateDirectory(this.dir);
  }

  void privateKey(String name, PrivateKey key) throws IOException {
    write(name, Pem.privateKey(key), SecureFiles.OWNER_ONLY);
  }

  void certificate(String name, X509Certificate certificate) throws IOException {
    write(name, Pem.certificate(certificate), SecureFiles.PUBLIC);
  }

  void bytes(String name, byte[] content) throws IOException {
    Path file = dir.resolve(name);
    SecureFiles.write(file, content, SecureFiles.PUBLIC);
    written.add(file);
  }

  void write(String name, String text, Set<PosixFilePermission> permissions) throws IOException {
    Path file = dir.resolve(name);
    SecureFiles.write(file, text.getBytes(StandardCharsets.UTF_8), permissions);
    written.add(file);
  }

  List<Path> written() {
    return List.copyOf(written);
  }
}
