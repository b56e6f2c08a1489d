package io.edgesync.edge.mqtt;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers, per client id, the QoS1/2 packet ids whose PUBLISH was stored (durable) or is
 * being stored, so that a redelivery (PUBLISH with DUP=1 and the same packet id) is
 * acknowledged again without storing the event twice.
 *
 * <p>Semantics: a PUBLISH with DUP=0 is always a new message; it clears whatever was
 * remembered for its packet id (the client may reuse an id once it got the ack). A PUBLISH
 * with DUP=1 whose id is remembered is a duplicate. A stored id stays remembered until the
 * client reuses it with DUP=0, so the rule needs no time window.
 *
 * <p>Bounds: per client one bit per packet id (at most 65,536 bits = 8 KiB) plus the
 * appends still pending; at most {@code maxClients} clients, least recently used evicted
 * first (counted in {@code edge_mqtt_dedup_evictions_total}). The state is in memory only:
 * a redelivery that crosses an edge restart is stored again (a later issue persists it).
 *
 * <p>Thread-safety: safe from any event loop (a client may reconnect on another one).
 */
public final class PacketIdDedup {

  /** What {@link #onPublish} decided. {@code prior} is non-null exactly for a duplicate. */
  public record Decision(Future<Long> prior) {
    public boolean duplicate() {
      return prior != null;
    }
  }

  private static final Decision NEW = new Decision(null);

  private static final class ClientIds {
    final BitSet stored = new BitSet();
    final Map<Integer, Future<Long>> pending = new HashMap<>();
  }

  private final int maxClients;
  private final LinkedHashMap<String, ClientIds> clients;
  private final Counter hits;
  private final Counter evictions;

  public PacketIdDedup(int maxClients, MeterRegistry registry) {
    this.maxClients = maxClients;
    this.clients = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, ClientIds> eldest) {
        boolean evict = size() > PacketIdDedup.this.maxClients;
        if (evict) {
          evictions.increment();
        }
        return evict;
      }
    };
    this.hits = Counter.builder("edge.mqtt.dedup.hits")
        .description("QoS1/2 redeliveries (DUP) acknowledged without storing again").register(registry);
    this.evictions = Counter.builder("edge.mqtt.dedup.evictions")
        .description("clients whose packet-id memory was dropped (mqtt.dedupClients)").register(registry);
  }

  /**
   * Classifies an incoming QoS1/2 PUBLISH. For a duplicate, returns the future of the
   * original append (already succeeded when stored earlier).
   */
  public Decision onPublish(String clientId, int packetId, boolean dup) {
    synchronized (clients) {
      ClientIds ids = clients.computeIfAbsent(clientId, k -> new ClientIds());
      if (dup) {
        Future<Long> pending = ids.pending.get(packetId);
        if (pending != null) {
          hits.increment();
          return new Decision(pending);
        }
        if (ids.stored.get(packetId)) {
          hits.increment();
          return new Decision(Future.succeededFuture(0L));
        }
      }
      ids.stored.clear(packetId);
      ids.pending.remove(packetId);
      return NEW;
    }
  }

  /** The append of {@code packetId} was started. */
  public void pending(String clientId, int packetId, Future<Long> append) {
    synchronized (clients) {
      clients.computeIfAbsent(clientId, k -> new ClientIds()).pending.put(packetId, append);
    }
  }

  /** The append of {@code packetId} finished: remembered when durable, forgotten when it failed. */
  public void finished(String clientId, int packetId, Future<Long> append, boolean durable) {
    synchronized (clients) {
      ClientIds ids = clients.get(clientId);
      if (ids == null || ids.pending.get(packetId) != append) {
        return; // evicted, or the id was reused meanwhile
      }
      ids.pending.remove(packetId);
      if (durable) {
        ids.stored.set(packetId);
      }
    }
  }

  /** Clients currently remembered. */
  public int clients() {
    synchronized (clients) {
      return clients.size();
    }
  }
}
