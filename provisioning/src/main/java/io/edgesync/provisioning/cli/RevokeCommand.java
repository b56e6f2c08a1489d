package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.fleet.FleetLock;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.fleet.NodeRecord;
import io.edgesync.provisioning.fleet.NodeRegistry;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.pki.CertificateAuthority.Revocation;
import io.edgesync.provisioning.pki.RevocationReason;
import io.edgesync.provisioning.pki.Serials;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code revoke --dir FLEET --node-id ID}: puts the node's certificate on the CRL. */
@Command(name = "revoke", mixinStandardHelpOptions = true,
    description = {"Revoke a node's certificate.", "",
        "Adds the node's certificate serial to FLEET/crl.pem (re-signed by the CA with a new thisUpdate "
        + "and nextUpdate and the CRL number plus one) and marks the node revoked in FLEET/nodes.json. "
        + "Servers that load the CRL refuse the node from their next (re)load on."})
final class RevokeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder made by init-ca.")
  Path dir;

  @Option(names = "--node-id", required = true, paramLabel = "ID", converter = Options.NodeIdConverter.class,
      description = "The node to revoke.")
  String nodeId;

  @Option(names = "--reason", defaultValue = "UNSPECIFIED", paramLabel = "REASON",
      description = "CRL reason: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  RevocationReason reason;

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public Integer call() throws Exception {
    FleetStore fleet = FleetStore.open(dir);
    NodeRecord node;
    try (FleetLock lock = fleet.lock()) {
      NodeRegistry registry = fleet.registry();
      node = registry.find(nodeId).orElseThrow(() -> new ProvisioningException("unknown node " + nodeId
          + " (not in " + fleet.nodesFile() + ")"));
      if (node.revoked()) {
        throw new ProvisioningException("node " + nodeId + " is already revoked (serial " + node.serial() + ", at "
            + node.revokedAt() + ")");
      }
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      CertificateAuthority ca = fleet.ca();
      Revocation revocation = new Revocation(Serials.parseHex(node.serial()), now, reason);
      fleet.writeCrl(ca.revoke(fleet.crl(), List.of(revocation), now, FleetStore.CRL_VALIDITY));
      registry.put(node.revokedAt(now));
      fleet.writeRegistry(registry);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("revoked node " + nodeId + " (serial " + node.serial() + ")");
    Options.printWritten(out, List.of(fleet.crlFile(), fleet.nodesFile()));
    return 0;
  }
}
