package io.edgesync.cloud.kafka;

import java.util.Map;
import java.util.Properties;

/**
 * Extra settings for every Kafka client cloud-ingest creates (producer, consumers, admin), e.g.
 * {@code security.protocol}, {@code sasl.jaas.config}, {@code ssl.truststore.location}. They may
 * hold secrets: {@link #toString()} shows the keys only.
 */
public record ClientProperties(Map<String, String> values) {
  public static final ClientProperties NONE = new ClientProperties(Map.of());

  public ClientProperties {
    values = Map.copyOf(values);
  }

  /** These settings, then {@code bootstrap.servers}; callers add their own on top. */
  public Properties with(String bootstrap) {
    Properties p = new Properties();
    p.putAll(values);
    p.put("bootstrap.servers", bootstrap);
    return p;
  }

  @Override
  public String toString() {
    return "ClientProperties" + values.keySet() + " (values not shown)";
  }
}
