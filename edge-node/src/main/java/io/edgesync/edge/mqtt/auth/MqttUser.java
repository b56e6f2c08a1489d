package io.edgesync.edge.mqtt.auth;

import java.util.Objects;

/**
 * One entry of the users file.
 *
 * @param username    the MQTT user name, or the certificate CN when {@code certificate}
 * @param hash        the password hash; null for a certificate-only identity
 * @param certificate whether a client certificate with CN = {@code username} is this identity
 * @param acl         its topic ACLs
 */
public record MqttUser(String username, PasswordHash hash, boolean certificate, Acl acl) {
  public MqttUser {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(acl, "acl");
    if (hash == null && !certificate) {
      throw new IllegalArgumentException("user " + username + " has neither a hash nor certificate: true");
    }
  }
}
