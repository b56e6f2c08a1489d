package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.mqtt.MqttUsersFile;
import io.edgesync.provisioning.mqtt.Pbkdf2;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mqtt-user --file USERS.yaml --username U [--password-stdin | --password P] --publish F1,F2
 * --subscribe F3 [--certificate]}: adds or replaces one entry of an edge's MQTT users file.
 */
@Command(name = "mqtt-user", mixinStandardHelpOptions = true,
    description = {"Add or replace an MQTT user of an edge node (mqtt.usersFile).", "",
        "Writes USERS.yaml (mode 0600, created when missing) with the user's PBKDF2-HMAC-SHA256 password hash "
        + "and topic ACLs; an entry with the same user name is replaced, the others are kept. With --certificate the "
        + "entry is (also) the identity of a client certificate whose CN is the user name. The password is never "
        + "printed; prefer --password-stdin (the first line of standard input) over --password, which other users "
        + "of the machine can see in the process list."})
final class MqttUserCommand implements Callable<Integer> {
  /** Where --password-stdin reads; tests replace it. */
  static InputStream stdin = System.in;

  @Spec
  CommandSpec spec;

  @Option(names = "--file", required = true, paramLabel = "USERS.yaml", description = "The users file (mqtt.usersFile).")
  Path file;

  @Option(names = "--username", required = true, paramLabel = "U",
      description = "MQTT user name (or client certificate CN with --certificate).")
  String username;

  @Option(names = "--password", paramLabel = "P", arity = "1", interactive = false,
      description = "The password (visible in the process list; see --password-stdin).")
  String password;

  @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
  boolean passwordStdin;

  @Option(names = "--publish", split = ",", paramLabel = "F", description = "Topic filters the user may publish to.")
  List<String> publish = new ArrayList<>();

  @Option(names = "--subscribe", split = ",", paramLabel = "F", description = "Topic filters the user may subscribe with.")
  List<String> subscribe = new ArrayList<>();

  @Option(names = "--certificate", description = "The entry is a client certificate identity (CN = user name).")
  boolean certificate;

  @Option(names = "--iterations", defaultValue = "310000", paramLabel = "N",
      description = "PBKDF2 iterations, 10000..10000000 (default ${DEFAULT-VALUE}).")
  int iterations;

  @Override
  public Integer call() throws IOException {
    CommandLine cl = spec.commandLine();
    try {
      MqttUsersFile.requireUsername(username);
      publish.forEach(MqttUsersFile::requireFilter);
      subscribe.forEach(MqttUsersFile::requireFilter);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
    if (password != null && passwordStdin) {
      throw new CommandLine.ParameterException(cl, "--password and --password-stdin exclude each other");
    }
    if (iterations < Pbkdf2.MIN_ITERATIONS || iterations > Pbkdf2.MAX_ITERATIONS) {
      throw new CommandLine.ParameterException(cl, "--iterations must be 10000..10000000 (got " + iterations + ")");
    }
    char[] secret = null;
    if (password != null) {
      secret = password.toCharArray();
    } else if (passwordStdin) {
      String line = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
      if (line == null) {
        throw new CommandLine.ParameterException(cl, "--password-stdin: standard input is empty");
      }
      secret = line.toCharArray();
    }
    if (secret == null && !certificate) {
      throw new CommandLine.ParameterException(cl, "give --password-stdin, --password or --certificate");
    }
    if (secret != null && secret.length == 0) {
      throw new CommandLine.ParameterException(cl, "the password must not be empty");
    }
    String hash = null;
    if (secret != null) {
      hash = Pbkdf2.hash(secret, iterations);
      Arrays.fill(secret, '\0');
    }
    boolean replaced = MqttUsersFile.put(file, new MqttUsersFile.Entry(username, hash, certificate, publish, subscribe));
    PrintWriter out = cl.getOut();
    out.println((replaced ? "replaced" : "added") + " MQTT user " + username
        + (certificate ? " (certificate identity)" : ""));
    Options.printWritten(out, List.of(file.toAbsolutePath().normalize()));
    return 0;
  }
}
