package io.edgesync.edge.rules;

import java.util.List;

/**
 * A parsed (not yet compiled) rules file.
 *
 * @param origin  file name, for messages
 * @param version first 12 hex digits of the SHA-256 of the file bytes
 * @param rules   the rules in file order
 * @param schemas the schemas in file order
 */
public record RulesDocument(String origin, String version, List<RuleSpec> rules, List<SchemaSpec> schemas) {
  public RulesDocument {
    rules = List.copyOf(rules);
    schemas = List.copyOf(schemas);
  }

  /** No file: no rules, no schemas. */
  public static RulesDocument empty() {
    return new RulesDocument("(none)", "none", List.of(), List.of());
  }
}
