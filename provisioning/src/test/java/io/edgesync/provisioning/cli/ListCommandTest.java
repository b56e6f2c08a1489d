package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.provisioning.testing.Cli;
import io.edgesync.provisioning.testing.TlsMaterial;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListCommandTest {
  @TempDir
  Path tmp;

  @Test
  void listsNodesAsATableSortedById() throws Exception {
    // GIVEN two nodes, one in a group, one revoked
    Cli.Fleet f = Cli.fleet(tmp, "zeta");
    Cli.ok("enrol", "--dir", f.dir().toString(), "--node-id", "alpha", "--group", "lab", "--cloud", "localhost:9443",
        "--out", tmp.resolve("alpha").toString());
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "zeta");
    String alphaSerial = TlsMaterial.certificate(tmp.resolve("alpha/node.crt")).getSerialNumber().toString(16);

    // WHEN
    List<String> lines = Cli.ok("list", "--dir", f.dir().toString()).out().lines().toList();

    // THEN
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertEquals(List.of("NODE", "GROUP", "SERIAL", "NOT", "AFTER", "REVOKED"), List.of(lines.get(0).split("\\s+")));
    String[] alpha = lines.get(1).split("\\s+");
    assertEquals("alpha", alpha[0]);
    assertEquals("lab", alpha[1]);
    assertTrue(alpha[2].equalsIgnoreCase(alphaSerial) || alpha[2].equalsIgnoreCase("0" + alphaSerial), lines.get(1));
    assertEquals("no", alpha[4]);
    String[] zeta = lines.get(2).split("\\s+");
    assertEquals("zeta", zeta[0]);
    assertEquals("-", zeta[1]);
    assertEquals("yes", zeta[4]);
  }

  @Test
  void jsonListsTheRegistryEntries() throws Exception {
    Cli.Fleet f = Cli.fleet(tmp, "edge-1", "edge-2");
    Cli.ok("revoke", "--dir", f.dir().toString(), "--node-id", "edge-2");

    JsonNode nodes = new ObjectMapper().readTree(Cli.ok("list", "--dir", f.dir().toString(), "--json").out());

    assertTrue(nodes.isArray());
    assertEquals(2, nodes.size());
    assertEquals("edge-1", nodes.get(0).get("id").asText());
    assertFalse(nodes.get(0).get("revoked").asBoolean());
    assertEquals("edge-2", nodes.get(1).get("id").asText());
    assertTrue(nodes.get(1).get("revoked").asBoolean());
    for (JsonNode n : nodes) {
      assertTrue(n.has("group") && n.has("serial") && n.has("notAfter"), n.toString());
    }
  }

  @Test
  void anEmptyFleetListsAsAnEmptyArray() throws Exception {
    Path fleet = tmp.resolve("fleet");
    Cli.ok("init-ca", "--dir", fleet.toString());

    assertEquals("[ ]", Cli.ok("list", "--dir", fleet.toString(), "--json").out().strip());
  }
}
