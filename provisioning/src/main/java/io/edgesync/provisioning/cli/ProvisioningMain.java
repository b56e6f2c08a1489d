package io.edgesync.provisioning.cli;

import io.edgesync.provisioning.ProvisioningException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code provisioning}: the fleet CLI. Wires the subcommands and maps every failure to one line
 * on stderr: usage errors (bad option or value) exit 2, failures (no fleet, duplicate node,
 * I/O) exit 1. Never prints a stack trace.
 */
@Command(name = "provisioning", mixinStandardHelpOptions = true, version = "provisioning 0.1.0",
    description = "edgesync fleet tool: fleet CA, cloud server certificate, node enrolment, revocation, MQTT users, rule rollouts.",
    subcommands = {InitCaCommand.class, ServerCertCommand.class, EnrolCommand.class, RevokeCommand.class,
        RefreshCrlCommand.class, ListCommand.class, MqttUserCommand.class, RolloutCommand.class},
    commandListHeading = "%nCommands:%n",
    footer = {"", "Run 'provisioning COMMAND --help' for a command's options. Exit codes: 0 ok, 1 failure, 2 usage error."})
public final class ProvisioningMain implements Runnable {
  /** Exit code of a failed command (the request was well formed but could not be done). */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of a usage error (unknown option, missing or invalid value). */
  public static final int EXIT_USAGE = 2;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command: init-ca, server-cert, enrol, revoke, refresh-crl, list, mqtt-user or rollout");
  }

  public static void main(String[] args) {
    Charset cs = Charset.defaultCharset();
    PrintWriter out = new PrintWriter(System.out, true, cs);
    PrintWriter err = new PrintWriter(System.err, true, cs);
    int code = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /** The configured command line, printing to {@code out} and {@code err} (tests capture both). */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new ProvisioningMain());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, args) -> usageError(ex));
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (ex instanceof ParameterException pe) {
        return usageError(pe);
      }
      String message = ex instanceof ProvisioningException ? ex.getMessage() : describe(ex);
      commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + firstLine(message));
      commandLine.getErr().flush();
      return EXIT_FAILURE;
    });
    return cl;
  }

  private static int usageError(ParameterException ex) {
    CommandLine c = ex.getCommandLine();
    c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + firstLine(ex.getMessage()) + " (try --help)");
    c.getErr().flush();
    return EXIT_USAGE;
  }

  /** An unexpected exception as one line: its type and message (IOExceptions often carry only a path). */
  private static String describe(Throwable ex) {
    String message = ex.getMessage();
    String type = switch (ex.getClass().getSimpleName()) {
      case "NoSuchFileException" -> "no such file";
      case "AccessDeniedException" -> "permission denied";
      case "FileAlreadyExistsException" -> "already exists";
      case "NotDirectoryException" -> "not a folder";
      case "DirectoryNotEmptyException" -> "folder not empty";
      default -> ex.getClass().getSimpleName();
    };
    return message == null ? type : type + ": " + message;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "failed";
    }
    String t = s.strip();
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl).strip();
  }
}
