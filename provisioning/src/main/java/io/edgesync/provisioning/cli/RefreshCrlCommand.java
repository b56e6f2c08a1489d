package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.fleet.FleetLock;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.pki.CertificateAuthority;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code refresh-crl --dir FLEET}: re-signs the CRL before its nextUpdate passes. */
@Command(name = "refresh-crl", mixinStandardHelpOptions = true,
    description = {"Re-sign the CRL with a new validity period.", "",
        "Re-signs FLEET/crl.pem with the same entries, thisUpdate now, nextUpdate in 365 days and the CRL "
        + "number plus one. Run it (e.g. monthly from cron) so that verifiers that check nextUpdate never see a "
        + "stale CRL; revoke and re-enrolment re-sign it too."})
final class RefreshCrlCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder made by init-ca.")
  Path dir;

  @SuppressWarnings("try") // the lock is held for the block, never referenced
  @Override
  public Integer call() throws Exception {
    FleetStore fleet = FleetStore.open(dir);
    X509CRL crl;
    try (FleetLock lock = fleet.lock()) {
      crl = fleet.refreshCrl(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("CRL number " + CertificateAuthority.crlNumber(crl) + ", " + (crl.getRevokedCertificates() == null ? 0
        : crl.getRevokedCertificates().size()) + " revoked, next update " + crl.getNextUpdate().toInstant());
    Options.printWritten(out, List.of(fleet.crlFile()));
    return 0;
  }
}
