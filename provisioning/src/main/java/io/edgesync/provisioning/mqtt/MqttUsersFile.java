package io.edgesync.provisioning.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.fleet.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The edge's MQTT users file ({@code mqtt.usersFile}, docs/SECURITY.md): a YAML list of
 * {@code {username, hash?, certificate?, publish: [filters], subscribe: [filters]}}. This
 * class adds or replaces one entry and writes the file back atomically with mode 0600;
 * the other entries are kept as they are.
 */
public final class MqttUsersFile {
  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .build());
  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x1f\\x7f]");

  /**
   * One entry.
   *
   * @param username    user name, or the certificate CN when {@code certificate}
   * @param hash        encoded PBKDF2 hash, or null (certificate-only)
   * @param certificate whether a client certificate with CN = username is this identity
   * @param publish     topic filters it may publish to
   * @param subscribe   topic filters it may subscribe with
   */
  public record Entry(String username, String hash, boolean certificate, List<String> publish,
      List<String> subscribe) {
    public Entry {
      publish = List.copyOf(publish);
      subscribe = List.copyOf(subscribe);
    }
  }

  private MqttUsersFile() {}

  /** Checks a user name: 1..256 characters, no control characters. */
  public static String requireUsername(String u) {
    if (u == null || u.isEmpty() || u.length() > 256 || CONTROL.matcher(u).find()) {
      throw new IllegalArgumentException("user name must be 1..256 characters without control characters");
    }
    return u;
  }

  /** Checks an MQTT topic filter the way the edge does ({@code +} and {@code #} fill whole levels, {@code #} last). */
  public static String requireFilter(String f) {
    if (f.isEmpty() || f.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("empty topic filter or one with NUL");
    }
    String[] levels = f.split("/", -1);
    for (int i = 0; i < levels.length; i++) {
      String l = levels[i];
      if (l.equals("#")) {
        if (i != levels.length - 1) {
          throw new IllegalArgumentException("'#' must be the last level of a topic filter (" + f + ")");
        }
      } else if (!l.equals("+") && (l.contains("#") || l.contains("+"))) {
        throw new IllegalArgumentException("a wildcard must fill a whole level (" + f + ")");
      }
    }
    return f;
  }

  /**
   * Adds {@code entry} to {@code file} (created when missing), replacing an entry with the same
   * user name. Returns true when an entry was replaced.
   */
  public static boolean put(Path file, Entry entry) throws IOException {
    ArrayNode list = read(file);
    ObjectNode node = YAML.createObjectNode();
    node.put("username", entry.username());
    if (entry.hash() != null) {
      node.put("hash", entry.hash());
    }
    if (entry.certificate()) {
      node.put("certificate", true);
    }
    ArrayNode pub = node.putArray("publish");
    entry.publish().forEach(pub::add);
    ArrayNode sub = node.putArray("subscribe");
    entry.subscribe().forEach(sub::add);
    boolean replaced = false;
    for (int i = 0; i < list.size(); i++) {
      if (entry.username().equals(list.get(i).path("username").asText(null))) {
        list.set(i, node);
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      list.add(node);
    }
    String text = "# edgesync MQTT users (mqtt.usersFile), written by: provisioning mqtt-user\n"
        + "# hash: PBKDF2-HMAC-SHA256; publish/subscribe: MQTT topic filters (docs/SECURITY.md)\n"
        + YAML.writeValueAsString(list);
    Path abs = file.toAbsolutePath();
    if (abs.getParent() != null && !Files.isDirectory(abs.getParent())) {
      SecureFiles.createPrivateDirectory(abs.getParent());
    }
    SecureFiles.write(abs, text.getBytes(StandardCharsets.UTF_8), SecureFiles.OWNER_ONLY);
    return replaced;
  }

  /** The entries of {@code file} as a YAML array (empty when the file is missing or empty). */
  static ArrayNode read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return YAML.createArrayNode();
    }
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ProvisioningException(file + " is not valid YAML: " + e.getOriginalMessage());
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return YAML.createArrayNode();
    }
    if (root.isObject() && root.has("users") && root.size() == 1) {
      root = root.get("users");
    }
    if (!root.isArray()) {
      throw new ProvisioningException(file + " is not a YAML list of users");
    }
    return (ArrayNode) root;
  }
}
