package io.edgesync.edge.mqtt;

import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * In-memory subscriptions of the clients connected to the edge's MQTT listener, for local
 * publishing (e.g. rule alerts on {@code alerts/{ruleId}}). Not persisted: a client
 * subscribes again after it reconnects. Retained messages are not kept.
 *
 * <p>Thread-safety: safe from any thread; subscribers deliver on their own event loop.
 */
public final class SubscriptionRegistry {

  /** A connected client able to receive local publishes. */
  public interface Subscriber {
    /** Sends one PUBLISH to the client, from any thread; returns false when it was dropped. */
    boolean deliver(String topic, Buffer payload, MqttQoS qos);
  }

  private record Subscription(TopicFilter filter, MqttQoS qos) {}

  private final Map<Subscriber, List<Subscription>> bySubscriber = new ConcurrentHashMap<>();

  /** Adds or replaces the subscription of {@code subscriber} to {@code filter}. */
  public void subscribe(Subscriber subscriber, TopicFilter filter, MqttQoS qos) {
    List<Subscription> subs = bySubscriber.computeIfAbsent(subscriber, k -> new CopyOnWriteArrayList<>());
    subs.removeIf(s -> s.filter().equals(filter));
    subs.add(new Subscription(filter, qos));
  }

  public void unsubscribe(Subscriber subscriber, String filter) {
    List<Subscription> subs = bySubscriber.get(subscriber);
    if (subs != null) {
      subs.removeIf(s -> s.filter().toString().equals(filter));
    }
  }

  /** Drops every subscription of a client that went away. */
  public void remove(Subscriber subscriber) {
    bySubscriber.remove(subscriber);
  }

  /**
   * Delivers {@code payload} on {@code topic} to every subscriber with a matching filter,
   * once per subscriber at the highest granted QoS of its matching filters.
   *
   * @return the number of subscribers it was handed to
   */
  public int publish(String topic, Buffer payload) {
    String[] levels = TopicFilter.levels(topic);
    int delivered = 0;
    for (Map.Entry<Subscriber, List<Subscription>> e : bySubscriber.entrySet()) {
      MqttQoS best = null;
      for (Subscription s : e.getValue()) {
        if (s.filter().matches(levels) && (best == null || s.qos().value() > best.value())) {
          best = s.qos();
        }
      }
      if (best != null && e.getKey().deliver(topic, payload, best)) {
        delivered++;
      }
    }
    return delivered;
  }

  /** Subscriptions over all clients. */
  public int size() {
    return bySubscriber.values().stream().mapToInt(List::size).sum();
  }
}
