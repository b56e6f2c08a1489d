package io.edgesync.config;

/** A {@code host:port} pair, e.g. one of {@code cloud.endpoints}. */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535 (got " + port + ")");
    }
  }

  /** Parses {@code host:port} (IPv6 as {@code [::1]:9443}). */
  public static HostPort parse(String s) {
    String t = s.trim();
    int colon = t.lastIndexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException("must be host:port (got " + s + ")");
    }
    String host = t.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new HostPort(host, Integer.parseInt(t.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be host:port with a numeric port (got " + s + ")");
    }
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
