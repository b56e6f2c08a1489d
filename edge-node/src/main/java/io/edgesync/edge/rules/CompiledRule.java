package io.edgesync.edge.rules;

import dev.cel.runtime.CelRuntime;
import java.util.Objects;

/**
 * A rule with its compiled CEL program. Immutable; the program is thread-safe.
 *
 * @param spec    the rule as declared
 * @param program the compiled expression
 */
public record CompiledRule(RuleSpec spec, CelRuntime.Program program) {
  public CompiledRule {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(program, "program");
  }

  public String id() {
    return spec.id();
  }
}
