package io.edgesync.edge.rules;

import io.vertx.core.buffer.Buffer;

/** Publishes to the subscribers of the edge's own MQTT broker (MqttIngest.publishLocal). Any thread. */
@FunctionalInterface
public interface LocalPublisher {
  /** @return how many subscribers it was handed to */
  int publish(String topic, Buffer payload);
}
