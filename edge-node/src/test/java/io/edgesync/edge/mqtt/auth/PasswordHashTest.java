package io.edgesync.edge.mqtt.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PasswordHashTest {
  /**
   * Produced by the provisioning CLI's encoder (provisioning MqttUserCommandTest.VECTOR):
   * "correct horse", salt 00..0f, 10,000 iterations.
   */
  static final String VECTOR = "pbkdf2-sha256$10000$AAECAwQFBgcICQoLDA0ODw==$5RUHDgNTp9sBOWGYS4e6u57cz/Sq3/TQgaDP/8MW6L8=";

  @Test
  void verifiesTheProvisioningTestVector() {
    PasswordHash h = PasswordHash.parse(VECTOR);
    assertTrue(h.verify("correct horse"));
    assertFalse(h.verify("correct horsE"));
    assertFalse(h.verify(""));
    assertEquals(10_000, h.iterations());
    assertFalse(h.toString().contains("5RUHDg"), "toString never shows the hash");
  }

  @Test
  void refusesMalformedHashesWithoutEchoingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PasswordHash.parse("bcrypt$12$abc$def"));
    assertFalse(e.getMessage().contains("abc"));
    assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("pbkdf2-sha256$99$AAECAwQFBgcI$AAAAAAAAAAAAAAAAAAAAAA=="));
    assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse("pbkdf2-sha256$10000$!!$AAAA"));
  }
}
