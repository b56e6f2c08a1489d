package io.edgesync.edge.mqtt.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.edgesync.edge.mqtt.TopicFilter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the MQTT users file ({@code mqtt.usersFile}): a YAML list of entries
 * <pre>
 * - username: sensor-17
 *   hash: pbkdf2-sha256$310000$&lt;salt b64&gt;$&lt;hash b64&gt;
 *   publish: [sensors/17/#]
 *   subscribe: [alerts/#]
 * - username: line-3-plc          # a client certificate with CN=line-3-plc
 *   certificate: true
 *   publish: [plc/3/#]
 * </pre>
 * (a top-level {@code users:} key holding the list is accepted too). Blocking file I/O: called
 * at start-up, from the config loader.
 */
public final class UsersFile {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> FIELDS = Set.of("username", "hash", "publish", "subscribe", "certificate");

  private UsersFile() {}

  /**
   * Loads and validates {@code file}.
   *
   * @throws IllegalArgumentException one line naming the entry and the problem
   */
  public static List<MqttUser> load(Path file) {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read: " + firstLine(e.getMessage()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return List.of();
    }
    if (root.isObject() && root.has("users") && root.size() == 1) {
      root = root.get("users");
    }
    if (!root.isArray()) {
      throw new IllegalArgumentException("must be a YAML list of users (username, hash, publish, subscribe)");
    }
    List<MqttUser> users = new ArrayList<>();
    Set<String> passwordNames = new HashSet<>();
    Set<String> certificateNames = new HashSet<>();
    int index = 0;
    for (JsonNode n : root) {
      index++;
      String where = "entry " + index;
      if (!n.isObject()) {
        throw new IllegalArgumentException(where + ": must be a map");
      }
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!FIELDS.contains(f)) {
          throw new IllegalArgumentException(where + ": unknown field " + f + " (known: " + FIELDS + ")");
        }
      }
      JsonNode name = n.get("username");
      if (name == null || !name.isTextual() || name.asText().isEmpty()) {
        throw new IllegalArgumentException(where + ": username is missing");
      }
      String username = name.asText();
      where = "user " + username;
      boolean certificate = n.path("certificate").asBoolean(false);
      PasswordHash hash = null;
      if (n.hasNonNull("hash")) {
        try {
          hash = PasswordHash.parse(n.get("hash").asText());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
      }
      if (hash == null && !certificate) {
        throw new IllegalArgumentException(where + ": needs a hash (password user) or certificate: true");
      }
      if (hash != null && !passwordNames.add(username)) {
        throw new IllegalArgumentException(where + ": listed twice");
      }
      if (certificate && !certificateNames.add(username)) {
        throw new IllegalArgumentException(where + ": listed twice as a certificate identity");
      }
      Acl acl = new Acl(filters(n, "publish", where), filters(n, "subscribe", where));
      users.add(new MqttUser(username, hash, certificate, acl));
    }
    return List.copyOf(users);
  }

  private static List<TopicFilter> filters(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    List<TopicFilter> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    List<String> raw = new ArrayList<>();
    if (v.isArray()) {
      v.forEach(x -> raw.add(x.asText()));
    } else {
      for (String s : v.asText().split(",")) {
        raw.add(s);
      }
    }
    for (String s : raw) {
      String f = s.trim();
      if (f.isEmpty()) {
        continue;
      }
      try {
        out.add(TopicFilter.parse(f));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + field + ": " + e.getMessage());
      }
    }
    return out;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "failed";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
