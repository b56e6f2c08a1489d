package io.edgesync.edge.mqtt.auth;

import io.edgesync.config.Settings;
import io.edgesync.edge.config.EdgeKeys;
import io.edgesync.tls.RevocationList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How MQTT clients are authenticated ({@code mqtt.auth}, {@code mqtt.usersFile},
 * {@code mqtt.clientCa}; docs/SECURITY.md).
 *
 * @param password    user name + password (PBKDF2 hashes from the users file)
 * @param certificate client certificates on the TLS listener (identity = CN)
 * @param usersFile   the users file, or null when both are off
 * @param clientCa    CA that client certificates must chain to, or null when certificate is off
 * @param users       the users file's entries
 * @param reloadMs    how often the users file (and the CRL) is checked for changes; 0 = never
 * @param clientCrl   CRL of {@code clientCa} listing revoked client certificates, or null
 */
public record MqttAuthSettings(boolean password, boolean certificate, Path usersFile, Path clientCa,
    List<MqttUser> users, long reloadMs, Path clientCrl) {
  /** The default check interval of the users file. */
  public static final long DEFAULT_RELOAD_MS = 2000;

  /** No authentication: every client may publish and subscribe to anything. */
  public static final MqttAuthSettings NONE = new MqttAuthSettings(false, false, null, null, List.of(), 0, null);

  /** With the default reload interval. */
  public MqttAuthSettings(boolean password, boolean certificate, Path usersFile, Path clientCa, List<MqttUser> users) {
    this(password, certificate, usersFile, clientCa, users, DEFAULT_RELOAD_MS, null);
  }

  /** Without a CRL. */
  public MqttAuthSettings(boolean password, boolean certificate, Path usersFile, Path clientCa, List<MqttUser> users,
      long reloadMs) {
    this(password, certificate, usersFile, clientCa, users, reloadMs, null);
  }

  public MqttAuthSettings {
    users = List.copyOf(users);
    if (reloadMs < 0) {
      throw new IllegalArgumentException("reloadMs must be >= 0");
    }
    if ((password || certificate) && usersFile == null) {
      throw new IllegalArgumentException("authentication needs a users file");
    }
    if (certificate) {
      Objects.requireNonNull(clientCa, "clientCa");
    } else if (clientCrl != null) {
      throw new IllegalArgumentException("a client CRL needs certificate authentication");
    }
  }

  /** Whether clients are authenticated at all. */
  public boolean enabled() {
    return password || certificate;
  }

  /** The mode as configured: none, password, certificate or password,certificate. */
  public String mode() {
    if (password && certificate) {
      return "password,certificate";
    }
    return password ? "password" : certificate ? "certificate" : "none";
  }

  /**
   * Reads the {@code mqtt.auth*} keys and the users file.
   *
   * @param tlsPort the TLS listener port after defaults (0 = off)
   * @param tlsCa   {@code tls.ca}, the default of {@code mqtt.clientCa}; may be null
   * @throws io.edgesync.config.ConfigException one line naming the key
   */
  public static MqttAuthSettings read(Settings s, int tlsPort, Path tlsCa) {
    boolean password = false;
    boolean certificate = false;
    List<String> modes = s.list(EdgeKeys.MQTT_AUTH, List.of("none"));
    for (String m : modes) {
      switch (m) {
        case "none" -> {
          if (modes.size() > 1) {
            throw s.fail(EdgeKeys.MQTT_AUTH, "none cannot be combined (got " + String.join(",", modes) + ")");
          }
        }
        case "password" -> password = true;
        case "certificate" -> certificate = true;
        default -> throw s.fail(EdgeKeys.MQTT_AUTH,
            "must be none, password, certificate or password,certificate (got " + String.join(",", modes) + ")");
      }
    }
    Path usersFile = s.path(EdgeKeys.MQTT_USERS_FILE, "");
    long reloadMs = s.longValue(EdgeKeys.MQTT_USERS_RELOAD_MS, DEFAULT_RELOAD_MS, 0, 3_600_000);
    Path clientCa = s.path(EdgeKeys.MQTT_CLIENT_CA, "");
    Path clientCrl = s.path(EdgeKeys.MQTT_CLIENT_CRL, "");
    if (clientCrl != null && !certificate) {
      throw s.fail(EdgeKeys.MQTT_CLIENT_CRL, "is set but mqtt.auth has no certificate (got "
          + String.join(",", modes) + ")");
    }
    if (!password && !certificate) {
      if (usersFile != null) {
        throw s.fail(EdgeKeys.MQTT_USERS_FILE, "is set but mqtt.auth is none (set mqtt.auth=password and/or certificate)");
      }
      return NONE;
    }
    if (usersFile == null) {
      throw s.fail(EdgeKeys.MQTT_USERS_FILE, "is required with mqtt.auth=" + String.join(",", modes));
    }
    if (!Files.isRegularFile(usersFile) || !Files.isReadable(usersFile)) {
      throw s.fail(EdgeKeys.MQTT_USERS_FILE, "is not a readable file (" + usersFile + ")");
    }
    List<MqttUser> users;
    try {
      users = UsersFile.load(usersFile);
    } catch (IllegalArgumentException e) {
      throw s.fail(EdgeKeys.MQTT_USERS_FILE, "is invalid (" + usersFile + "): " + e.getMessage());
    }
    if (certificate) {
      if (tlsPort == 0) {
        throw s.fail(EdgeKeys.MQTT_AUTH, "certificate needs the TLS listener (mqtt.tlsPort with tls.cert and tls.key)");
      }
      if (clientCa == null) {
        clientCa = tlsCa;
      }
      if (clientCa == null) {
        throw s.fail(EdgeKeys.MQTT_CLIENT_CA, "is required with mqtt.auth=certificate (or set tls.ca)");
      }
      if (!Files.isRegularFile(clientCa) || !Files.isReadable(clientCa)) {
        throw s.fail(EdgeKeys.MQTT_CLIENT_CA, "is not a readable file (" + clientCa + ")");
      }
      if (clientCrl != null) {
        try {
          RevocationList.load(clientCrl, RevocationList.readCas(clientCa), EdgeKeys.MQTT_CLIENT_CA);
        } catch (IllegalArgumentException e) {
          throw s.fail(EdgeKeys.MQTT_CLIENT_CRL, "(" + clientCrl + ") " + e.getMessage());
        }
      }
    }
    return new MqttAuthSettings(password, certificate, usersFile, certificate ? clientCa : null, users, reloadMs,
        clientCrl);
  }
}
