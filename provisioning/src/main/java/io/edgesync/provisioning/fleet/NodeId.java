package io.edgesync.provisioning.fleet;

import java.util.regex.Pattern;

/**
 * Validation of node ids and group names: 1 to 64 of {@code A-Z a-z 0-9 . _ -}, starting with a
 * letter or digit (so that an id is never ".", ".." or an option, and is safe in a path such as
 * {@code /etc/edgesync/<id>} and in a certificate CN).
 */
public final class NodeId {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private NodeId() {}

  /** True when {@code s} is a valid node id or group name. */
  public static boolean isValid(String s) {
    return s != null && VALID.matcher(s).matches();
  }

  /**
   * Returns {@code s} when valid.
   *
   * @param what "node id" or "group", for the message
   * @throws IllegalArgumentException with a one-line message otherwise
   */
  public static String require(String s, String what) {
    if (!isValid(s)) {
      throw new IllegalArgumentException(what + " '" + s + "' is invalid: use 1-64 characters of A-Z a-z 0-9 . _ -"
          + ", starting with a letter or digit");
    }
    return s;
  }
}
