package io.edgesync.provisioning.cli;

import io.edgesync.config.HostPort;
import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.bundle.EdgeBundle;
import io.edgesync.provisioning.fleet.FleetLock;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.fleet.NodeRecord;
import io.edgesync.provisioning.fleet.NodeRegistry;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.pki.CertificateAuthority.Revocation;
import io.edgesync.provisioning.pki.CertificateSpec;
import io.edgesync.provisioning.pki.KeyPairs;
import io.edgesync.provisioning.pki.KeyPurpose;
import io.edgesync.provisioning.pki.RevocationReason;
import io.edgesync.provisioning.pki.Serials;
import io.edgesync.provisioning.pki.SubjectAltName;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code enrol --dir FLEET --node-id ID --cloud HOST:PORT --out DIR [--group G]}: a node identity
 * and its bundle. Re-enrolling a live node needs --force and revokes its previous certificate
 * (reason superseded), so a node id has at most one valid certificate.
 */
@Command(name = "enrol", aliases = "enroll", mixinStandardHelpOptions = true,
    description = {"Enrol a node: certificate, config, systemd unit, install script.", "",
        "Issues the node certificate (CN = node id, EKU clientAuth+serverAuth, SANs node id and "
        + "localhost, 1 year) and writes DIR/node.key (mode 0600), DIR/node.crt, DIR/ca.crt, "
        + "DIR/edge.yaml, DIR/edge-node.service and DIR/install.sh. Records the node in FLEET/nodes.json. "
        + "A node that has a valid certificate is only enrolled again with --force, which revokes its "
        + "previous certificate."})
final class EnrolCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder made by init-ca.")
  Path dir;

  @Option(names = "--node-id", required = true, paramLabel = "ID", converter = Options.NodeIdConverter.class,
      description = "Node id: 1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit.")
  String nodeId;

  @Option(names = "--cloud", required = true, split = ",", paramLabel = "HOST:PORT",
      converter = Options.HostPortConverter.class, description = "Cloud ingest endpoint(s) (cloud.endpoints).")
  List<HostPort> cloud;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Bundle folder (created 0700 when missing).")
  Path out;

  @Option(names = "--group", paramLabel = "G", converter = Options.GroupConverter.class,
      description = "Rollout group (node.group); same characters as a node id.")
  String group;

  @Option(names = "--days", defaultValue = "365", paramLabel = "N", description = "Validity in days (default ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--force", description = "Re-enrol a node that has a valid certificate (its old certificate is"
      + " revoked) and overwrite an existing node.key in DIR.")
  boolean force;

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public Integer call() throws Exception {
    Duration validity = Options.days(spec.commandLine(), days);
    FleetStore fleet = FleetStore.open(dir);
    Options.requireOutsideFleet(spec.commandLine(), out, fleet.dir());
    EdgeBundle bundle = new EdgeBundle(nodeId, group, cloud);
    List<Path> written = new ArrayList<>();
    String superseded = null;
    try (FleetLock lock = fleet.lock()) {
      NodeRegistry registry = fleet.registry();
      Optional<NodeRecord> previous = registry.find(nodeId).filter(n -> !n.revoked());
      if (previous.isPresent() && !force) {
        throw new ProvisioningException("node " + nodeId + " is already enrolled (serial " + previous.get().serial()
            + ", valid until " + previous.get().notAfter() + "); revoke it first or use --force to re-enrol");
      }
      if (EdgeBundle.existsIn(out) && !force) {
        throw new ProvisioningException(out.resolve(EdgeBundle.KEY) + " exists; --force replaces it");
      }
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      CertificateAuthority ca = fleet.ca();
      KeyPair pair = KeyPairs.generateP256();
      X509Certificate cert = ca.issue(pair.getPublic(), certificateSpec(validity), now);
      written.addAll(bundle.write(out, pair.getPrivate(), cert, fleet.caCertificatePem()));
      if (previous.isPresent()) {
        superseded = previous.get().serial();
        Revocation old = new Revocation(Serials.parseHex(superseded), now, RevocationReason.SUPERSEDED);
        fleet.writeCrl(ca.revoke(fleet.crl(), List.of(old), now, FleetStore.CRL_VALIDITY));
        written.add(fleet.crlFile());
      }
      registry.put(new NodeRecord(nodeId, group, Serials.hex(cert.getSerialNumber()), cert.getNotAfter().toInstant(),
          false, now, null));
      fleet.writeRegistry(registry);
      written.add(fleet.nodesFile());
    }
    PrintWriter stdout = spec.commandLine().getOut();
    if (superseded != null) {
      stdout.println("revoked the previous certificate of " + nodeId + " (serial " + superseded + ", superseded)");
    }
    Options.printWritten(stdout, written);
    return 0;
  }

  private CertificateSpec certificateSpec(Duration validity) {
    List<SubjectAltName> names = new ArrayList<>();
    // A node id with "_" is a valid id but not a DNS name; the JDK would reject it as a SAN.
    if (SubjectAltName.isDnsName(nodeId) && !nodeId.equals("localhost")) {
      names.add(new SubjectAltName(SubjectAltName.Kind.DNS, nodeId));
    }
    names.add(new SubjectAltName(SubjectAltName.Kind.DNS, "localhost"));
    return new CertificateSpec(nodeId, names, EnumSet.of(KeyPurpose.CLIENT_AUTH, KeyPurpose.SERVER_AUTH), validity);
  }
}
