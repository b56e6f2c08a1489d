package io.edgesync.edge.rules;

import java.util.Locale;

/** What a rule does when its expression is true (docs/RULES.md). */
public enum RuleAction {
  /** Publish an alert on {@code alerts/{ruleId}} locally and append an ALERT envelope. */
  ALERT,
  /** Change the event's priority class. */
  TAG,
  /** Do not store the event (the publisher still gets its PUBACK). */
  DROP,
  /** Keep one of {@code every} matching events per source, drop the others. */
  DOWNSAMPLE;

  /** The lower-case name used in the rules file and metric tags. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException naming the accepted values */
  public static RuleAction parse(String s) {
    for (RuleAction a : values()) {
      if (a.label().equals(s)) {
        return a;
      }
    }
    throw new IllegalArgumentException("action must be one of alert, tag, drop, downsample (got " + s + ")");
  }
}
