package io.edgesync.edge.heartbeat;

import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Builds the heartbeat document from the node's {@code /status} document and its meters:
 *
 * <pre>
 * {"nodeId","version","configVersion","intervalMs","uptimeSeconds","sentAt" (edge clock, epoch ms),
 *  "link":{"state":"up|down|backoff|disabled","endpoint"},
 *  "backlog":{"events","bytes" (null when the log has no edge.buffer.class.bytes gauge),"oldestAgeMs" (null when empty),
 *             "classes":{"critical":{"events","bytes","oldestAgeMs"},...}},
 *  "rates":{"inPerSec","outPerSec"}  (over the time since the previous heartbeat),
 *  "totals":{"eventsIn","eventsOut","deadLetters","ruleHits","alerts","dedupHits","evicted"},
 *  "mqtt":{"connections"}, "e2eMs":{"p50","p95","p99"},
 *  "rules":{"version","fires":{rule:n},"shadowVersion","shadowFires":{rule:n}} (at most 256 rules per set),
 *  "config":{...} (added by the sender from its DesiredConfigReceiver)}
 * </pre>
 *
 * Not thread-safe: called on the heartbeat's context only. Reads meters by name, so a meter that
 * does not exist (yet) counts 0 or is reported as null.
 */
final class HeartbeatBody {
  /** Live (unreleased, not evicted) envelope bytes per class, registered by the event log. */
  static final String BACKLOG_BYTES_GAUGE = "edge.buffer.class.bytes";
  private final MeterRegistry registry;
  private final long intervalMs;
  private long prevAtMs = -1;
  private double prevIn;
  private double prevOut;

  HeartbeatBody(MeterRegistry registry, long intervalMs) {
    this.registry = registry;
    this.intervalMs = intervalMs;
  }

  /**
   * @param status    the node's /status document (with {@code rules})
   * @param oldestAge per class, age in ms of the oldest event in the log (absent: empty or unknown)
   * @param nowMs     the edge clock
   */
  JsonObject build(JsonObject status, Map<Priority, Long> oldestAge, long nowMs) {
    double in = sum("edge.events.in");
    double out = sum("edge.forward.events");
    double inRate = 0;
    double outRate = 0;
    if (prevAtMs >= 0 && nowMs > prevAtMs) {
      inRate = Math.max(0, in - prevIn) * 1000.0 / (nowMs - prevAtMs);
      outRate = Math.max(0, out - prevOut) * 1000.0 / (nowMs - prevAtMs);
    }
    prevAtMs = nowMs;
    prevIn = in;
    prevOut = out;

    JsonObject log = obj(status, "log");
    JsonObject logClasses = obj(log, "classes");
    JsonObject classes = new JsonObject();
    long events = 0;
    Long bytes = null;
    Long oldest = null;
    for (Priority p : Priority.values()) {
      JsonObject c = obj(logClasses, p.label());
      long e = c.getValue("backlog") instanceof Number n ? n.longValue() : 0;
      Long b = gauge(BACKLOG_BYTES_GAUGE, p.label());
      Long age = e > 0 ? oldestAge.get(p) : null;
      classes.put(p.label(), new JsonObject().put("events", e).put("bytes", b).put("oldestAgeMs", age));
      events += e;
      if (b != null) {
        bytes = (bytes == null ? 0 : bytes) + b;
      }
      if (age != null && (oldest == null || age > oldest)) {
        oldest = age;
      }
    }
    JsonObject forwarder = obj(status, "forwarder");
    // per class, what keeps it from flowing (a hold, or a log behind the cloud's watermark); "log":
    // why the log takes no event at all (its group commits fail, e.g. a full disk)
    JsonObject problems = new JsonObject();
    JsonObject forwardClasses = obj(forwarder, "classes");
    for (Priority p : Priority.values()) {
      if (obj(forwardClasses, p.label()).getValue("problem") instanceof String problem) {
        problems.put(p.label(), problem);
      }
    }
    if (log.getValue("writeError") instanceof String writeError) {
      problems.put("log", "group commits fail: " + writeError);
    }
    JsonObject rules = obj(status, "rules");
    JsonObject mqtt = obj(status, "mqtt");
    String link = forwarder.getValue("link") instanceof String s ? s
        : forwarder.getValue("state") instanceof String s2 ? s2 : null;
    return new JsonObject()
        .put("nodeId", status.getValue("nodeId"))
        .put("version", status.getValue("version"))
        .put("configVersion", rules.getValue("version"))
        .put("intervalMs", intervalMs)
        .put("uptimeSeconds", status.getValue("uptimeSeconds"))
        .put("sentAt", nowMs)
        .put("link", new JsonObject().put("state", link).put("endpoint", forwarder.getValue("endpoint"))
            .put("problems", problems))
        .put("backlog", new JsonObject().put("events", events).put("bytes", bytes).put("oldestAgeMs", oldest)
            .put("classes", classes))
        .put("rates", new JsonObject().put("inPerSec", round1(inRate)).put("outPerSec", round1(outRate)))
        .put("totals", new JsonObject()
            .put("eventsIn", (long) in)
            .put("eventsOut", (long) out)
            .put("deadLetters", (long) sum("edge.deadletters"))
            .put("ruleHits", (long) sum("edge.rule.hits"))
            .put("alerts", (long) sum("edge.rule.alerts"))
            .put("dedupHits", (long) sum("edge.dedup.hits"))
            .put("evicted", (long) sum("edge.log.evicted.events")))
        .put("mqtt", new JsonObject().put("connections", mqtt.getValue("connections")))
        .put("rules", new JsonObject().put("version", rules.getValue("version"))
            .put("fires", rules.getValue("fires"))
            .put("shadowVersion", obj(rules, "shadow").getValue("version"))
            .put("shadowFires", obj(rules, "shadow").getValue("fires")))
        .put("e2eMs", forwarder.getValue("e2eMs"));
  }

  /** The sum over every tag combination of the counter {@code name}. */
  private double sum(String name) {
    double total = 0;
    for (Meter m : registry.find(name).meters()) {
      if (m instanceof Counter c) {
        total += c.count();
      } else if (m instanceof FunctionCounter f) {
        total += f.count();
      }
    }
    return total;
  }

  private Long gauge(String name, String clazz) {
    Gauge g = registry.find(name).tag("class", clazz).gauge();
    return g == null ? null : (long) g.value();
  }

  private static JsonObject obj(JsonObject o, String key) {
    return o != null && o.getValue(key) instanceof JsonObject j ? j : new JsonObject();
  }

  private static double round1(double x) {
    return Math.round(x * 10) / 10.0;
  }
}
