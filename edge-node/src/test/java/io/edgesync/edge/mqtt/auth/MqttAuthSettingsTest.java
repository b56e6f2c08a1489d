package io.edgesync.edge.mqtt.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.ConfigException;
import io.edgesync.config.Settings;
import io.edgesync.edge.testsupport.TestCerts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mqtt.auth* keys: defaults, the users file, and one-line errors naming the key. */
class MqttAuthSettingsTest {
  @TempDir
  Path dir;

  @Test
  void defaultIsNone() {
    MqttAuthSettings a = MqttAuthSettings.read(Settings.of(Map.of()), 0, null);
    assertFalse(a.enabled());
    assertEquals("none", a.mode());
  }

  @Test
  void readsModesAndTheUsersFile() throws Exception {
    Path users = users("- {username: u, hash: \"" + PasswordHashTest.VECTOR + "\", publish: [a/#]}\n"
        + "- {username: plc, certificate: true, publish: \"p/#,q/+\"}\n");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    MqttAuthSettings a = MqttAuthSettings.read(Settings.of(Map.of("mqtt.auth", "password,certificate",
        "mqtt.usersFile", users.toString())), 8883, ca);
    assertTrue(a.password() && a.certificate());
    assertEquals(ca, a.clientCa());
    assertEquals(2, a.users().size());
    assertTrue(a.users().get(1).acl().mayPublish("q/1"));
  }

  @Test
  void mistakesNameTheKey() throws Exception {
    assertEquals("settings: mqtt.auth must be none, password, certificate or password,certificate (got bcrypt)",
        fail(Map.of("mqtt.auth", "bcrypt"), 0));
    assertEquals("settings: mqtt.usersFile is required with mqtt.auth=password", fail(Map.of("mqtt.auth", "password"), 0));
    Path users = users("- {username: u, hash: \"" + PasswordHashTest.VECTOR + "\"}\n");
    assertEquals("settings: mqtt.auth certificate needs the TLS listener (mqtt.tlsPort with tls.cert and tls.key)",
        fail(Map.of("mqtt.auth", "certificate", "mqtt.usersFile", users.toString()), 0));
    assertEquals("settings: mqtt.usersFile is set but mqtt.auth is none (set mqtt.auth=password and/or certificate)",
        fail(Map.of("mqtt.usersFile", users.toString()), 0));
    Path bad = users("- {username: u, hash: \"pbkdf2-sha256$10000$AAECAwQFBgcICQoLDA0ODw==$c2VjcmV0\"}\n");
    String m = fail(Map.of("mqtt.auth", "password", "mqtt.usersFile", bad.toString()), 0);
    assertTrue(m.startsWith("settings: mqtt.usersFile is invalid (") && m.endsWith(
        "user u: hash salt must be >= 8 bytes and the hash 16..64 bytes"), m);
    Path wild = users("- {username: u, hash: \"" + PasswordHashTest.VECTOR + "\", publish: [a/#/b]}\n");
    assertTrue(fail(Map.of("mqtt.auth", "password", "mqtt.usersFile", wild.toString()), 0)
        .endsWith("user u: publish: '#' must be the last level of a topic filter (a/#/b)"));
  }

  @Test
  void aClientCrlMustBeACrlOfTheClientCaAndNeedsCertificates() throws Exception {
    Path users = users("- {username: plc, certificate: true}\n");
    TestCerts.Ca devices = TestCerts.ca(dir, "devices");
    TestCerts.Ca other = TestCerts.ca(dir, "other");
    Path good = TestCerts.crl(devices, dir.resolve("good.crl"), TestCerts.leaf(devices, dir, "old").cert());
    Map<String, String> cert = Map.of("mqtt.auth", "certificate", "mqtt.usersFile", users.toString(),
        "mqtt.clientCa", devices.certPath().toString());
    Map<String, String> values = new HashMap<>(cert);
    values.put("mqtt.clientCrl", good.toString());
    assertEquals(good, MqttAuthSettings.read(Settings.of(values), 8883, null).clientCrl());

    values.put("mqtt.auth", "password");
    assertEquals("settings: mqtt.clientCrl is set but mqtt.auth has no certificate (got password)", fail(values, 8883));
    values.putAll(cert);
    Path foreign = TestCerts.crl(other, dir.resolve("foreign.crl"));
    values.put("mqtt.clientCrl", foreign.toString());
    assertEquals("settings: mqtt.clientCrl (" + foreign + ") holds a CRL of CN=other, which is not a CA of "
        + "mqtt.clientCa", fail(values, 8883));
    Path garbage = Files.writeString(dir.resolve("garbage.crl"), "not a crl");
    values.put("mqtt.clientCrl", garbage.toString());
    assertTrue(fail(values, 8883).startsWith("settings: mqtt.clientCrl (" + garbage + ") is not a CRL in PEM or DER"),
        fail(values, 8883));
  }

  private String fail(Map<String, String> values, int tlsPort) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> MqttAuthSettings.read(Settings.of(new HashMap<>(values)), tlsPort, null));
    return e.getMessage();
  }

  private Path users(String yaml) throws Exception {
    return Files.writeString(Files.createTempFile(dir, "users", ".yaml"), yaml);
  }
}
