package io.edgesync.edge.mqtt;

import io.edgesync.edge.dedup.DedupIndex;
import io.edgesync.edge.dedup.DedupKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recognises QoS1/2 redeliveries (PUBLISH with DUP=1) so that they are acknowledged again
 * without storing the event twice. Two layers:
 *
 * <ol>
 *   <li><b>In flight</b> (this class, memory): per client id, the appends of packet ids not
 *       yet durable. A DUP=1 for one of them waits for that append and is acknowledged with
 *       it. The client cannot have reused the id (it has no ack yet), so this needs no
 *       payload check.</li>
 *   <li><b>Stored</b> (the log's dedup index, crash-safe): every QoS1/2 append carries a
 *       {@link DedupKey} ({@link #logKey}) that the log writer puts in the same WriteBatch as
 *       the event: (client id, packet id) → topic+payload fingerprint. A DUP=1 that is not in
 *       flight goes to the log, which answers "duplicate" when the newest entry of that
 *       packet id within {@code dedup.window} has the same fingerprint, across reconnects and
 *       edge restarts. The fingerprint matters: a client that reused the id for a new message
 *       whose first attempt never reached the edge redelivers it with DUP=1, and that is a
 *       new event.</li>
 * </ol>
 *
 * <p>With the log's dedup disabled ({@code dedup.enabled=false}) this class also remembers
 * stored ids, one bit per packet id (no fingerprint, no window, lost on restart): a DUP=1 for
 * a remembered id is a duplicate until the id is reused with DUP=0.
 *
 * <p>A DUP=0 PUBLISH is always a new message and clears what is remembered for its id.
 *
 * <p>Bounds: per client the pending appends (at most the client's in-flight window) and, when
 * bits are kept, at most 65,536 bits = 8 KiB; at most {@code maxClients} clients, least
 * recently used evicted first ({@code edge_mqtt_dedup_evictions_total}). Every DUP caught by
 * either layer counts in {@code edge_mqtt_dedup_hits_total}; those caught here also in
 * {@code edge_dedup_hits_total{kind="dup"}} (the log counts its own).
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
  private final boolean rememberStored;
  private final LinkedHashMap<String, ClientIds> clients;
  private final Counter hits;
  private final Counter dedupHits;
  private final Counter evictions;

  /** Remembers stored ids in memory too (for a log without dedup). */
  public PacketIdDedup(int maxClients, MeterRegistry registry) {
    this(maxClients, true, registry);
  }

  /**
   * @param rememberStored keep one bit per stored packet id; false when the log's dedup index
   *                       answers for stored ids ({@code dedup.enabled})
   */
  public PacketIdDedup(int maxClients, boolean rememberStored, MeterRegistry registry) {
    this.maxClients = maxClients;
    this.rememberStored = rememberStored;
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
    this.dedupHits = DedupIndex.hits(registry, DedupKey.Kind.PACKET_ID);
    this.evictions = Counter.builder("edge.mqtt.dedup.evictions")
        .description("clients whose packet-id memory was dropped (mqtt.dedupClients)").register(registry);
  }

  /**
   * The key the log deduplicates a PUBLISH on: the explicit payload {@code id} per source
   * when there is one (whatever the QoS), else for QoS1/2 the (client id, packet id) with a
   * topic+payload fingerprint (checked only when {@code dup}); null for a QoS0 PUBLISH
   * without id (QoS0 is never redelivered). Thread-safe.
   */
  public static DedupKey logKey(String clientId, int qos, int packetId, boolean dup, String topic,
      String explicitId, byte[] payload) {
    if (explicitId != null) {
      return DedupKey.explicitId(clientId, explicitId);
    }
    return qos > 0 ? DedupKey.packetId(clientId, packetId, dup, topic, payload) : null;
  }

  /**
   * Classifies an incoming QoS1/2 PUBLISH. For a duplicate, returns the future of the
   * original append (already succeeded when stored earlier). NEW means: append it (with
   * {@link #logKey}), the log may still find it a duplicate.
   */
  public Decision onPublish(String clientId, int packetId, boolean dup) {
    synchronized (clients) {
      ClientIds ids = clients.computeIfAbsent(clientId, k -> new ClientIds());
      if (dup) {
        Future<Long> pending = ids.pending.get(packetId);
        if (pending != null) {
          hit();
          return new Decision(pending);
        }
        if (rememberStored && ids.stored.get(packetId)) {
          hit();
          return new Decision(Future.succeededFuture(0L));
        }
      }
      ids.stored.clear(packetId);
      ids.pending.remove(packetId);
      return NEW;
    }
  }

  private void hit() {
    hits.increment();
    dedupHits.increment();
  }

  /** The append of {@code packetId} was started. */
  public void pending(String clientId, int packetId, Future<Long> append) {
    synchronized (clients) {
      clients.computeIfAbsent(clientId, k -> new ClientIds()).pending.put(packetId, append);
    }
  }

  /**
   * The append of {@code packetId} finished: remembered when durable (if bits are kept),
   * forgotten when it failed.
   *
   * @param redeliveryFoundInLog a DUP=1 PUBLISH the log recognised as a duplicate (counted)
   */
  public void finished(String clientId, int packetId, Future<Long> append, boolean durable,
      boolean redeliveryFoundInLog) {
    if (redeliveryFoundInLog) {
      hits.increment();
    }
    synchronized (clients) {
      ClientIds ids = clients.get(clientId);
      if (ids == null || ids.pending.get(packetId) != append) {
        return; // evicted, or the id was reused meanwhile
      }
      ids.pending.remove(packetId);
      if (durable && rememberStored) {
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
