package io.edgesync.edge.rules;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One compiled, immutable version of a rules file: what the engine swaps atomically on
 * reload.
 *
 * @param document the parsed file (version, schemas)
 * @param rules    compiled rules in file order
 * @param loadedAt when it was compiled
 */
public record RuleSet(RulesDocument document, List<CompiledRule> rules, Instant loadedAt) {
  public RuleSet {
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(loadedAt, "loadedAt");
    rules = List.copyOf(rules);
  }

  /** No rules, no schemas. */
  public static RuleSet empty() {
    return new RuleSet(RulesDocument.empty(), List.of(), Instant.EPOCH);
  }

  public String version() {
    return document.version();
  }

  public List<SchemaSpec> schemas() {
    return document.schemas();
  }
}
