package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.fleet.FleetStore;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code init-ca --dir FLEET [--force]}: creates the fleet folder, CA, empty CRL and registry. */
@Command(name = "init-ca", mixinStandardHelpOptions = true,
    description = {"Create the fleet CA, its empty CRL and the node registry.", "",
        "Creates FLEET (mode 0700) with ca.key (PKCS#8 PEM, EC P-256, mode 0600, never printed), ca.crt "
        + "(self-signed, CN \"edgesync fleet CA\", 10 years), crl.pem (an empty CRL signed by the CA, next"
        + " update in 1 year) and nodes.json (the node registry). Refuses to replace an existing CA "
        + "without --force."})
final class InitCaCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "FLEET", description = "Fleet folder (created when missing).")
  Path dir;

  @Option(names = "--force", description = "Replace an existing CA. Every certificate it issued stops being trusted,"
      + " and the CRL and the registry start empty.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Options.printWritten(spec.commandLine().getOut(), FleetStore.initialise(dir, force, now));
    return 0;
  }
}
