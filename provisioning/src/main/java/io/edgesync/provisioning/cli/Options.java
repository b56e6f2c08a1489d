package io.edgesync.provisioning.cli;

import io.edgesync.config.HostPort;
import io.edgesync.provisioning.fleet.NodeId;
import io.edgesync.provisioning.pki.SubjectAltName;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option value converters and small helpers the commands share. */
final class Options {
  private Options() {}

  /** A node id; picocli reports a rejection as a usage error naming the option. */
  static final class NodeIdConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        return NodeId.require(value, "node id");
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** A group name: same rules as a node id. */
  static final class GroupConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        return NodeId.require(value, "group");
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code host:port}. */
  static final class HostPortConverter implements ITypeConverter<HostPort> {
    @Override
    public HostPort convert(String value) {
      try {
        return HostPort.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** A DNS name or an IP literal. */
  static final class AltNameConverter implements ITypeConverter<SubjectAltName> {
    @Override
    public SubjectAltName convert(String value) {
      try {
        return SubjectAltName.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Validates a {@code --days} value: 1 to 36500. */
  static Duration days(CommandLine cl, int days) {
    if (days < 1 || days > 36_500) {
      throw new CommandLine.ParameterException(cl, "--days must be 1..36500 (got " + days + ")");
    }
    return Duration.ofDays(days);
  }

  /** Refuses an output folder that is the fleet folder (a bundle must never mix with the CA key). */
  static void requireOutsideFleet(CommandLine cl, Path out, Path fleet) {
    if (out.toAbsolutePath().normalize().equals(fleet.toAbsolutePath().normalize())) {
      throw new CommandLine.ParameterException(cl, "--out must not be the fleet folder " + fleet);
    }
  }

  /** Prints {@code wrote PATH} for each file, one a line. */
  static void printWritten(PrintWriter out, List<Path> files) {
    files.forEach(f -> out.println("wrote " + f));
    out.flush();
  }
}
