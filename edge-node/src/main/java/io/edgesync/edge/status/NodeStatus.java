package io.edgesync.edge.status;

import io.edgesync.edge.log.EventLog;
import io.edgesync.edge.mqtt.MqttIngest;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Builds the {@code /status} document from the running components. Non-blocking: it
 * reads counters and atomics only. Example:
 *
 * <pre>
 * {"nodeId":"n1","version":"0.1.0","startedAt":"...","uptimeSeconds":12,
 *  "mqtt":{"port":1883,"tlsPort":0,"connections":2,"pausedConnections":0,"subscriptions":0},
 *  "log":{"open":true,"path":"...","nextSeq":1001,"queueDepth":0,"writeError":null,
 *         "classes":{"normal":{"lastClassSeq":1000,"releasedClassSeq":900,"backlog":100},...}},
 *  "dedup":{"enabled":true,"windowMs":600000,"bucketMs":60000,"buckets":11,"keys":5000,
 *           "bloomBytes":6600000,"hits":{"id":3,"dup":1}},
 *  "forwarder":{...},"counters":{"edge.events.in{class=normal}":1000,...}}
 * </pre>
 */
public final class NodeStatus implements Supplier<JsonObject> {
  private final String nodeId;
  private final String version;
  private final Clock clock;
  private final Instant startedAt;
  private final EventLog log;
  private final MqttIngest mqtt;
  private final Supplier<JsonObject> forwarder;
  private final MeterRegistry registry;

  /**
   * @param forwarder the forwarder's status (link state, in flight, per class sent/acked,
   *                  last error); must not block
   */
  public NodeStatus(String nodeId, String version, Clock clock, EventLog log, MqttIngest mqtt,
      Supplier<JsonObject> forwarder, MeterRegistry registry) {
    this.nodeId = nodeId;
    this.version = version;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.log = log;
    this.mqtt = mqtt;
    this.forwarder = forwarder;
    this.registry = registry;
  }

  @Override
  public JsonObject get() {
    JsonObject classes = new JsonObject();
    for (Priority p : Priority.values()) {
      classes.put(p.label(), new JsonObject()
          .put("lastClassSeq", log.lastClassSeq(p))
          .put("releasedClassSeq", log.releasedClassSeq(p))
          .put("backlog", log.backlog(p)));
    }
    return new JsonObject()
        .put("nodeId", nodeId)
        .put("version", version)
        .put("startedAt", startedAt.toString())
        .put("uptimeSeconds", Duration.between(startedAt, clock.instant()).toSeconds())
        .put("mqtt", new JsonObject()
            .put("port", mqtt.actualPort())
            .put("tlsPort", mqtt.actualTlsPort())
            .put("connections", mqtt.connections())
            .put("pausedConnections", mqtt.pausedConnections())
            .put("subscriptions", mqtt.subscriptions()))
        .put("log", new JsonObject()
            .put("open", log.isOpen())
            .put("path", log.path().toString())
            .put("nextSeq", log.nextSeq())
            .put("queueDepth", log.queueDepth())
            .put("writeError", log.writeError())
            .put("classes", classes))
        .put("buffer", log.bufferStatus())
        .put("dedup", dedup())
        .put("forwarder", forwarder.get())
        .put("counters", counters());
  }

  private JsonObject dedup() {
    io.edgesync.edge.dedup.DedupStats d = log.dedupStats();
    return new JsonObject()
        .put("enabled", d.enabled())
        .put("windowMs", d.window().toMillis())
        .put("bucketMs", d.bucketMs())
        .put("buckets", d.buckets())
        .put("keys", d.keys())
        .put("bloomBytes", d.bloomBytes())
        .put("hits", new JsonObject().put("id", d.idHits()).put("dup", d.dupHits()));
  }

  private JsonObject counters() {
    Map<String, Object> out = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      if (m instanceof Counter c && m.getId().getName().startsWith("edge.")) {
        String tags = m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue())
            .collect(Collectors.joining(","));
        out.put(m.getId().getName() + (tags.isEmpty() ? "" : "{" + tags + "}"), (long) c.count());
      }
    }
    return new JsonObject(out);
  }
}
