package io.edgesync.edge.status;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /} on the edge's status port: a plain HTML page for a technician on site, rendered
 * on the server from the {@code /status} document (no script), refreshed by the browser every
 * {@value #REFRESH_SECONDS} s. Shows the link to the cloud, the backlog per class, MQTT
 * connections, rules and dedup figures, and the whole document at the bottom. Non-blocking.
 */
public final class StatusPage implements Handler<HttpServerRequest> {
  static final int REFRESH_SECONDS = 2;
  private final Supplier<JsonObject> status;

  public StatusPage(Supplier<JsonObject> status) {
    this.status = status;
  }

  @Override
  public void handle(HttpServerRequest req) {
    JsonObject s = status.get();
    JsonObject fw = obj(s, "forwarder");
    JsonObject mqtt = obj(s, "mqtt");
    JsonObject log = obj(s, "log");
    JsonObject rules = obj(s, "rules");
    String link = str(fw.getValue("link") != null ? fw.getValue("link") : fw.getValue("state"));
    StringBuilder h = new StringBuilder(4096);
    h.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>edge ").append(esc(str(s.getValue("nodeId")))).append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:16px 24px;color:#1d2127}")
        .append("table{border-collapse:collapse;margin:6px 0 14px}td,th{border:1px solid #d9dde3;padding:4px 10px;")
        .append("text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f4f5f7}")
        .append(".up{color:#1b7f3b;font-weight:600}.down,.backoff{color:#b3261e;font-weight:600}")
        .append("pre{background:#f4f5f7;padding:8px;font-size:12px;overflow:auto}</style></head><body>")
        .append("<h1>edge node <span id=\"node-id\">").append(esc(str(s.getValue("nodeId")))).append("</span></h1>")
        .append("<p>version ").append(esc(str(s.getValue("version"))))
        .append(" · up ").append(esc(str(s.getValue("uptimeSeconds")))).append(" s")
        .append(" · refreshed every ").append(REFRESH_SECONDS).append(" s</p>");
    h.append("<h2>Cloud link</h2><table><tr><td>state</td><td id=\"link\" class=\"").append(esc(link)).append("\">")
        .append(esc(link)).append("</td></tr>")
        .append(row("endpoint", fw.getValue("endpoint")))
        .append(row("batches in flight", fw.getValue("inFlight")))
        .append(row("next retry in (ms)", fw.getValue("nextRetryInMs")))
        .append(row("last error", fw.getValue("lastError")))
        .append(row("cloud ack latency p50 / p95 (ms)", e2e(obj(fw, "e2eMs"))))
        .append("</table>");
    h.append("<h2>Backlog (events not yet committed by the cloud)</h2><table id=\"backlog\">")
        .append("<tr><th>class</th><th>backlog</th><th>last classSeq</th><th>released</th></tr>");
    for (Map.Entry<String, Object> e : obj(log, "classes")) {
      JsonObject c = e.getValue() instanceof JsonObject j ? j : new JsonObject();
      h.append("<tr data-class=\"").append(esc(e.getKey())).append("\"><td>").append(esc(e.getKey()))
          .append("</td><td>").append(esc(str(c.getValue("backlog")))).append("</td><td>")
          .append(esc(str(c.getValue("lastClassSeq")))).append("</td><td>")
          .append(esc(str(c.getValue("releasedClassSeq")))).append("</td></tr>");
    }
    h.append("</table><h2>Devices and rules</h2><table>")
        .append(row("MQTT connections", mqtt.getValue("connections")))
        .append(row("paused connections", mqtt.getValue("pausedConnections")))
        .append(row("log writer queue", log.getValue("queueDepth")))
        .append(row("rules version", rules.getValue("version")))
        .append(row("rules", rules.getValue("count")))
        .append(row("rules error", rules.getValue("lastError")))
        .append("</table>")
        .append("<p>Machine-readable: <a href=\"/status\">/status</a>, <a href=\"/metrics\">/metrics</a>, ")
        .append("<a href=\"/health\">/health</a>.</p>")
        .append("<details><summary>full /status</summary><pre>").append(esc(s.encodePrettily()))
        .append("</pre></details></body></html>");
    req.response().putHeader("Content-Type", "text/html; charset=utf-8").end(h.toString());
  }

  private static String e2e(JsonObject e) {
    return e.isEmpty() ? null : str(e.getValue("p50")) + " / " + str(e.getValue("p95"));
  }

  private static String row(String label, Object value) {
    return "<tr><td>" + esc(label) + "</td><td>" + esc(str(value)) + "</td></tr>";
  }

  private static JsonObject obj(JsonObject o, String key) {
    return o != null && o.getValue(key) instanceof JsonObject j ? j : new JsonObject();
  }

  private static String str(Object o) {
    return o == null ? "–" : String.valueOf(o);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
