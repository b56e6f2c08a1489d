package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.bundle.CloudBundle;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.pki.CertificateSpec;
import io.edgesync.provisioning.pki.KeyPairs;
import io.edgesync.provisioning.pki.KeyPurpose;
import io.edgesync.provisioning.pki.SubjectAltName;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code server-cert --dir FLEET --host NAME[,NAME...] --out DIR}: the cloud-ingest bundle. */
@Command(name = "server-cert", mixinStandardHelpOptions = true,
    description = {"Issue the cloud-ingest server certificate and write its bundle.", "",
        "Writes DIR/server.key (mode 0600), DIR/server.crt (CN = first host, a SAN for every host, EKU "
        + "serverAuth, 2 years), DIR/ca.crt and DIR/cloud.yaml, whose tls.crl names FLEET/crl.pem relative"
        + " to DIR so that later revocations are seen."})
final class ServerCertCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder made by init-ca.")
  Path dir;

  @Option(names = "--host", required = true, split = ",", paramLabel = "NAME", converter = Options.AltNameConverter.class,
      description = "Names clients use to reach the server: DNS names or IP addresses; the first is the CN.")
  List<SubjectAltName> hosts;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Bundle folder (created 0700 when missing).")
  Path out;

  @Option(names = "--days", defaultValue = "730", paramLabel = "N", description = "Validity in days (default ${DEFAULT-VALUE}).")
  int days;

  @Option(names = "--force", description = "Overwrite an existing server.key in DIR.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    var validity = Options.days(spec.commandLine(), days);
    FleetStore fleet = FleetStore.open(dir);
    Options.requireOutsideFleet(spec.commandLine(), out, fleet.dir());
    if (CloudBundle.existsIn(out) && !force) {
      throw new ProvisioningException(out.resolve(CloudBundle.KEY) + " exists; --force replaces it");
    }
    Set<SubjectAltName> unique = new LinkedHashSet<>(hosts);
    CertificateAuthority ca = fleet.ca();
    KeyPair pair = KeyPairs.generateP256();
    CertificateSpec certSpec = new CertificateSpec(hosts.get(0).value(), List.copyOf(unique),
        Set.of(KeyPurpose.SERVER_AUTH), validity);
    X509Certificate cert = ca.issue(pair.getPublic(), certSpec, Instant.now().truncatedTo(ChronoUnit.SECONDS));
    CloudBundle bundle = CloudBundle.forFolder(out, fleet.crlFile());
    Options.printWritten(spec.commandLine().getOut(), bundle.write(out, pair.getPrivate(), cert, fleet.caCertificatePem()));
    return 0;
  }
}
