package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.edgesync.provisioning.mqtt.Pbkdf2;
import io.edgesync.provisioning.testing.Cli;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MqttUserCommandTest {
  /**
   * The shared test vector: "correct horse", salt 00..0f, 10,000 iterations. The edge's
   * PasswordHashTest verifies this exact string.
   */
  static final String VECTOR = "pbkdf2-sha256$10000$AAECAwQFBgcICQoLDA0ODw==$5RUHDgNTp9sBOWGYS4e6u57cz/Sq3/TQgaDP/8MW6L8=";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir
  Path dir;

  @AfterEach
  void restoreStdin() {
    MqttUserCommand.stdin = System.in;
  }

  @Test
  void encoderMatchesTheSharedTestVector() {
    byte[] salt = new byte[16];
    for (int i = 0; i < 16; i++) {
      salt[i] = (byte) i;
    }
    assertEquals(VECTOR, Pbkdf2.encode("correct horse".toCharArray(), salt, 10_000));
  }

  @Test
  void addsAUserWithAHashThatVerifiesAndTheFileIsOwnerOnly() throws Exception {
    Path users = dir.resolve("mqtt-users.yaml");
    MqttUserCommand.stdin = new ByteArrayInputStream("s3cret pw\n".getBytes(StandardCharsets.UTF_8));

    Cli.Result r = Cli.ok("mqtt-user", "--file", users.toString(), "--username", "sensor-1", "--password-stdin",
        "--publish", "sensors/1/#,status/1", "--subscribe", "alerts/#", "--iterations", "10000");

    assertEquals(List.of("added MQTT user sensor-1", "wrote " + users.toAbsolutePath()), r.out().lines().toList());
    assertFalse(r.out().contains("s3cret"), "the password is never printed");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(users)));
    JsonNode list = YAML.readTree(users.toFile());
    assertEquals(1, list.size());
    JsonNode u = list.get(0);
    assertEquals("sensor-1", u.get("username").asText());
    assertEquals(List.of("sensors/1/#", "status/1"), texts(u.get("publish")));
    assertEquals(List.of("alerts/#"), texts(u.get("subscribe")));
    assertFalse(u.has("certificate"));
    assertTrue(verifies(u.get("hash").asText(), "s3cret pw"), "hash of the given password");
    assertFalse(verifies(u.get("hash").asText(), "s3cret pW"));
  }

  @Test
  void replacesAnEntryWithTheSameNameAndKeepsTheOthers() throws Exception {
    Path users = dir.resolve("users.yaml");
    Cli.ok("mqtt-user", "--file", users.toString(), "--username", "a", "--password", "pw-a", "--publish", "a/#",
        "--iterations", "10000");
    Cli.ok("mqtt-user", "--file", users.toString(), "--username", "plc-3", "--certificate", "--publish", "plc/3/#");
    String before = YAML.readTree(users.toFile()).get(0).get("hash").asText();

    Cli.Result r = Cli.ok("mqtt-user", "--file", users.toString(), "--username", "a", "--password", "pw-a2",
        "--publish", "b/#", "--iterations", "10000");

    assertTrue(r.out().startsWith("replaced MQTT user a"), r.out());
    JsonNode list = YAML.readTree(users.toFile());
    assertEquals(2, list.size());
    assertEquals("a", list.get(0).get("username").asText());
    assertEquals(List.of("b/#"), texts(list.get(0).get("publish")));
    assertTrue(verifies(list.get(0).get("hash").asText(), "pw-a2"));
    assertFalse(before.equals(list.get(0).get("hash").asText()));
    assertEquals("plc-3", list.get(1).get("username").asText());
    assertTrue(list.get(1).get("certificate").asBoolean());
    assertFalse(list.get(1).has("hash"), "a certificate-only identity has no hash");
  }

  @Test
  void hasHelp() {
    Cli.Result r = Cli.run("mqtt-user", "--help");
    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("Usage: provisioning mqtt-user"), r.out());
    assertTrue(r.out().contains("--password-stdin"), r.out());
  }

  @Test
  void usageErrorsExitTwoWithOneLine() {
    Path users = dir.resolve("u.yaml");
    Cli.Result none = Cli.run("mqtt-user", "--file", users.toString(), "--username", "x", "--publish", "a");
    assertEquals(2, none.code());
    assertEquals(List.of("provisioning mqtt-user: give --password-stdin, --password or --certificate (try --help)"),
        none.errLines());
    Cli.Result badFilter = Cli.run("mqtt-user", "--file", users.toString(), "--username", "x", "--password", "p",
        "--publish", "a/#/b");
    assertEquals(2, badFilter.code());
    assertEquals(1, badFilter.errLines().size());
    assertTrue(badFilter.errLines().get(0).contains("'#' must be the last level"), badFilter.toString());
    assertFalse(Files.exists(users), "nothing written on a usage error");
  }

  private static List<String> texts(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  /** Verifies like the edge does: re-derive with the stored salt and iterations. */
  static boolean verifies(String encoded, String password) throws Exception {
    String[] p = encoded.split("\\$");
    byte[] salt = Base64.getDecoder().decode(p[2]);
    byte[] hash = Base64.getDecoder().decode(p[3]);
    byte[] again = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
        .generateSecret(new PBEKeySpec(password.toCharArray(), salt, Integer.parseInt(p[1]), hash.length * 8))
        .getEncoded();
    return java.security.MessageDigest.isEqual(hash, again);
  }

  @SuppressWarnings("unused")
  private static InputStream lines(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }
}
