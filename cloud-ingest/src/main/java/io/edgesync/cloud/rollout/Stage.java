package io.edgesync.cloud.rollout;

/**
 * Where a rollout stands. {@code SHADOW} and {@code CANARY} are the canary stages, {@code PROMOTED}
 * means every node of the group should run the new version; {@code HALTED} (a canary failed to apply)
 * and {@code ROLLED_BACK} are final until the operator acts.
 */
public enum Stage {
  /** The canary nodes run the new rules in shadow beside their active rules. */
  SHADOW,
  /** The canary nodes run the new rules; the others keep the previous version. */
  CANARY,
  /** Every node runs the new rules. */
  PROMOTED,
  /** A canary failed to apply: nothing moves until {@code rollback}. */
  HALTED,
  /** Every node that got the new rules went back to the previous version. */
  ROLLED_BACK;

  /** The lower-case name used on the wire and in the CLI. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static Stage parse(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }

  /** Whether the rollout is still moving (a new one for the group is refused). */
  public boolean inProgress() {
    return this == SHADOW || this == CANARY || this == HALTED;
  }
}
