package io.edgesync.edge.rules;

/**
 * A rules file that cannot be used: broken YAML, a bad field or a CEL error. The message is
 * one line naming the file and, when known, the rule id and the line.
 */
public final class RulesFileException extends RuntimeException {
  public RulesFileException(String message) {
    super(message);
  }
}
