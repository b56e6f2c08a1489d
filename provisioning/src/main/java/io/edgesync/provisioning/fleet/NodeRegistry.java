package io.edgesync.provisioning.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgesync.provisioning.ProvisioningException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The fleet's node registry, stored as {@code nodes.json}:
 * <pre>{"format": 1, "nodes": [{"id", "group", "serial", "notAfter", "revoked", "enrolledAt", "revokedAt"}]}</pre>
 * Instants are ISO-8601 UTC strings, serials upper-case hex, absent values null. Nodes are kept
 * sorted by id.
 *
 * <p>Mutable and not thread-safe: load, change and save under the fleet lock.
 */
public final class NodeRegistry {
  /** The {@code format} value this version writes and reads. */
  public static final int FORMAT = 1;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final TreeMap<String, NodeRecord> nodes = new TreeMap<>();

  /** A registry with no nodes. */
  public static NodeRegistry empty() {
    return new NodeRegistry();
  }

  /**
   * Parses {@code file}.
   *
   * @throws ProvisioningException naming the file when it is missing or malformed
   */
  public static NodeRegistry read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new ProvisioningException(file + ": no such file (the fleet folder is incomplete)");
    } catch (JsonProcessingException e) {
      throw new ProvisioningException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ProvisioningException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject() || root.path("format").asInt(-1) != FORMAT || !root.path("nodes").isArray()) {
      throw new ProvisioningException(file + ": not a format " + FORMAT + " node registry");
    }
    NodeRegistry registry = new NodeRegistry();
    for (JsonNode n : root.get("nodes")) {
      try {
        registry.put(new NodeRecord(
            n.path("id").asText(null),
            text(n, "group"),
            n.path("serial").asText(null),
            Instant.parse(n.path("notAfter").asText()),
            n.path("revoked").asBoolean(false),
            Instant.parse(n.path("enrolledAt").asText()),
            text(n, "revokedAt") == null ? null : Instant.parse(text(n, "revokedAt"))));
      } catch (DateTimeParseException | IllegalArgumentException | NullPointerException e) {
        throw new ProvisioningException(file + ": malformed node entry " + n + ": " + e.getMessage(), e);
      }
    }
    return registry;
  }

  /** The registry as pretty-printed JSON (UTF-8, trailing newline). */
  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.set("nodes", toJsonArray(all()));
    try {
      return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise the node registry", e);
    }
  }

  /** {@code records} as a JSON array of node objects (the {@code list --json} output). */
  public static ArrayNode toJsonArray(List<NodeRecord> records) {
    ArrayNode array = JSON.createArrayNode();
    for (NodeRecord r : records) {
      ObjectNode n = array.addObject();
      n.put("id", r.id());
      n.put("group", r.group());
      n.put("serial", r.serial());
      n.put("notAfter", r.notAfter().toString());
      n.put("revoked", r.revoked());
      n.put("enrolledAt", r.enrolledAt().toString());
      n.put("revokedAt", r.revokedAt() == null ? null : r.revokedAt().toString());
    }
    return array;
  }

  /** Pretty JSON text of {@code node}. */
  public static String pretty(JsonNode node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise JSON", e);
    }
  }

  public Optional<NodeRecord> find(String id) {
    return Optional.ofNullable(nodes.get(id));
  }

  /** Adds or replaces the node with {@code record.id()}. */
  public void put(NodeRecord record) {
    nodes.put(record.id(), record);
  }

  /** Every node, sorted by id. */
  public List<NodeRecord> all() {
    return List.copyOf(nodes.values());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
