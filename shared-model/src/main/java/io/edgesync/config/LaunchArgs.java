package io.edgesync.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line every process takes: {@code --config FILE}, any number of
 * {@code --set dotted.key=value}, and {@code --help}.
 *
 * @param config    the YAML file, or null
 * @param overrides {@code key=value} strings in command-line order (later wins)
 * @param help      {@code --help} was given
 */
public record LaunchArgs(Path config, List<String> overrides, boolean help) {
  public LaunchArgs {
    overrides = List.copyOf(overrides);
  }

  /** @throws ConfigException naming the bad argument */
  public static LaunchArgs parse(String[] args) {
    Path config = null;
    List<String> sets = new ArrayList<>();
    boolean help = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help", "-h" -> help = true;
        case "--config", "-c" -> config = Path.of(value(args, ++i, a));
        case "--set" -> sets.add(value(args, ++i, a));
        default -> {
          if (a.startsWith("--config=")) {
            config = Path.of(a.substring("--config=".length()));
          } else if (a.startsWith("--set=")) {
            sets.add(a.substring("--set=".length()));
          } else {
            throw new ConfigException("unknown argument " + a + " (try --help)");
          }
        }
      }
    }
    return new LaunchArgs(config, sets, help);
  }

  /** Loads the settings these arguments name. */
  public Settings settings() {
    return Settings.load(config, overrides);
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new ConfigException(flag + " needs a value");
    }
    return args[i];
  }
}
