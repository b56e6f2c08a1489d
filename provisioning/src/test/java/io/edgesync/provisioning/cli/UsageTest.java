package io.edgesync.provisioning.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.provisioning.testing.Cli;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class UsageTest {
  @ParameterizedTest
  @ValueSource(strings = {"init-ca", "server-cert", "enrol", "revoke", "refresh-crl", "list"})
  void everyCommandHasHelp(String command) {
    Cli.Result r = Cli.run(command, "--help");

    assertEquals(0, r.code(), r.toString());
    assertTrue(r.out().startsWith("Usage: provisioning " + command), r.out());
    assertTrue(r.out().contains("--dir=FLEET"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void topLevelHelpListsTheCommands() {
    Cli.Result r = Cli.run("--help");

    assertEquals(0, r.code(), r.toString());
    for (String c : List.of("init-ca", "server-cert", "enrol", "revoke", "refresh-crl", "list", "mqtt-user")) {
      assertTrue(r.out().contains("\n  " + c), c + " in\n" + r.out());
    }
  }

  @Test
  void noCommandIsAUsageError() {
    Cli.Result r = Cli.run();

    assertEquals(2, r.code(), r.toString());
    assertEquals(List.of("provisioning: missing command: init-ca, server-cert, enrol, revoke, refresh-crl, list, mqtt-user or rollout (try --help)"),
        r.errLines());
  }

  @Test
  void unknownOptionAndMissingOptionAreOneLineUsageErrors() {
    Cli.Result unknown = Cli.run("list", "--dir", "x", "--bogus");
    Cli.Result missing = Cli.run("enrol", "--dir", "x");
    Cli.Result command = Cli.run("frobnicate");

    assertEquals(2, unknown.code(), unknown.toString());
    assertEquals(List.of("provisioning list: Unknown option: '--bogus' (try --help)"), unknown.errLines());
    assertEquals(2, missing.code(), missing.toString());
    assertEquals(1, missing.errLines().size(), missing.toString());
    assertTrue(missing.err().startsWith("provisioning enrol: Missing required options: "), missing.err());
    assertEquals(2, command.code(), command.toString());
    assertEquals(1, command.errLines().size(), command.toString());
  }
}
