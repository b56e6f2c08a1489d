package io.edgesync.edge.rules;

import io.edgesync.model.Priority;
import java.util.Objects;

/**
 * One rule as declared in the rules file, before compilation.
 *
 * @param id         rule id, {@code [A-Za-z0-9._-]{1,64}}; also the alert topic {@code alerts/{id}}
 * @param when       the CEL expression (must yield a bool)
 * @param action     what happens when it is true
 * @param severity   alert severity (free text, default "warning"); alerts only
 * @param priority   the class a {@code tag} rule sets; null for other actions
 * @param every      a {@code downsample} rule keeps 1 of this many matching events per source
 * @param window     per-source window, or null
 * @param cooldownMs alerts: at most one per source per this many ms (0 = every match)
 * @param line       line of the rule in the file (1-based; 0 when unknown), for messages
 */
public record RuleSpec(String id, String when, RuleAction action, String severity, Priority priority, int every,
    WindowSpec window, long cooldownMs, int line) {
  public RuleSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(when, "when");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(severity, "severity");
    if (action == RuleAction.TAG) {
      Objects.requireNonNull(priority, "priority");
    }
    if (every < 1 || cooldownMs < 0) {
      throw new IllegalArgumentException("every must be >= 1 and cooldown >= 0");
    }
  }
}
