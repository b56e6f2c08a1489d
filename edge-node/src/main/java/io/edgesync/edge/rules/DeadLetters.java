package io.edgesync.edge.rules;

import io.edgesync.edge.log.AuxStore;
import io.edgesync.edge.log.EventLog;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.MalformedEnvelopeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead letters kept in the {@code dlq} store (key: the dead letter's seq, 8 bytes
 * big-endian; value: its envelope) and the admin endpoints over them:
 * <ul>
 *   <li>{@code GET /admin/deadletters?limit=N} (default 100, at most 10,000): JSON list of
 *       {@code {seq, source, topic, reason, eventTime, ingestTime, payload}} oldest first;
 *       payload as text when it is UTF-8, else {@code payloadBase64};</li>
 *   <li>{@code POST /admin/deadletters/redrive?limit=N} (default and most 10,000): each stored
 *       dead letter is checked against the <i>current</i> schemas; a valid one is appended
 *       to the log as a normal event (kind EVENT, same source, topic, id, times and class;
 *       rules are not applied again) and removed from the store; an invalid one stays.
 *       Answers {@code {"checked","redriven","stillInvalid","failed"}}; one re-drive at a time
 *       (409 while one runs).</li>
 * </ul>
 * RocksDB is only touched on the worker; appends are made from the HTTP event loop.
 */
public final class DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
  static final int MAX_LIMIT = 10_000;

  private final WorkerExecutor worker;
  private final AuxStore dlq;
  private final EventLog log;
  private final RuleEngine engine;
  private final MeterRegistry registry;
  private final Counter redriven;
  private final AtomicBoolean redriving = new AtomicBoolean();

  DeadLetters(WorkerExecutor worker, AuxStore dlq, EventLog log, RuleEngine engine, MeterRegistry registry) {
    this.worker = worker;
    this.dlq = dlq;
    this.log = log;
    this.engine = engine;
    this.registry = registry;
    this.redriven = Counter.builder("edge.deadletters.redriven")
        .description("dead letters appended again as events after a re-drive").register(registry);
  }

  /** Counts a durable dead letter under its reason kind. */
  void counted(String reasonKind) {
    Counter.builder("edge.deadletters").description("events that failed their schema (kept as dead letters)")
        .tag("reason_kind", reasonKind).register(registry).increment();
  }

  static byte[] key(long seq) {
    return ByteBuffer.allocate(8).putLong(seq).array();
  }

  /** Stored dead letters, oldest first, at most {@code limit}. */
  public Future<List<Event>> list(int limit) {
    int max = Math.max(1, Math.min(MAX_LIMIT, limit));
    return worker.executeBlocking(() -> {
      List<Event> out = new ArrayList<>();
      dlq.forEach(null, (k, v) -> {
        try {
          out.add(EnvelopeCodec.decode(v));
        } catch (MalformedEnvelopeException | IllegalArgumentException e) {
          LOG.warn("dlq: skipping an unreadable entry: {}", e.toString());
        }
        return out.size() < max;
      });
      return out;
    }, false);
  }

  /** Re-validates up to {@code limit} dead letters and appends the valid ones (event loop). */
  public Future<JsonObject> redrive(int limit) {
    if (!redriving.compareAndSet(false, true)) {
      return Future.failedFuture(new IllegalStateException("a re-drive is already running"));
    }
    List<SchemaSpec> schemas = engine.activeSet().schemas();
    return list(limit).compose(letters -> {
      List<Future<Long>> appends = new ArrayList<>();
      List<Event> valid = new ArrayList<>();
      int invalid = 0;
      for (Event d : letters) {
        SchemaValidator.Violation v = SchemaValidator.check(schemas, d.topic(), d.payload().length,
            () -> PayloadJson.parseObject(d.payload()));
        if (v != null) {
          invalid++;
          continue;
        }
        Event again = new Event(0, 0, d.priority(), d.source(), d.topic(), d.explicitId(), d.eventTimeMs(),
            d.ingestTimeMs(), d.payload());
        valid.add(d);
        appends.add(log.append(EnvelopeCodec.encode(again)));
      }
      int stillInvalid = invalid;
      return Future.join(appends).transform(ar -> {
        List<byte[]> done = new ArrayList<>();
        for (int i = 0; i < appends.size(); i++) {
          if (appends.get(i).succeeded()) {
            done.add(key(valid.get(i).seq()));
          }
        }
        return worker.executeBlocking(() -> {
          for (byte[] k : done) {
            dlq.delete(k);
          }
          return (Void) null;
        }, false).map(v -> {
          redriven.increment(done.size());
          return new JsonObject().put("checked", letters.size()).put("redriven", done.size())
              .put("stillInvalid", stillInvalid).put("failed", appends.size() - done.size());
        });
      });
    }).onComplete(ar -> redriving.set(false));
  }

  // ------------------------------------------------------------- HTTP

  /** {@code GET /admin/deadletters}. */
  public void handleList(HttpServerRequest req) {
    if (req.method() != HttpMethod.GET) {
      req.response().setStatusCode(405).putHeader("Allow", "GET").end();
      return;
    }
    list(limit(req, 100)).onComplete(ar -> {
      if (ar.failed()) {
        json(req, 500, new JsonObject().put("error", "INTERNAL").put("message", ar.cause().getMessage()));
        return;
      }
      JsonArray out = new JsonArray();
      for (Event e : ar.result()) {
        JsonObject o = new JsonObject().put("seq", e.seq()).put("source", e.source()).put("topic", e.topic())
            .put("reason", e.reason()).put("eventTime", e.eventTimeMs()).put("ingestTime", e.ingestTimeMs());
        String text = utf8(e.payload());
        if (text != null) {
          o.put("payload", text);
        } else {
          o.put("payloadBase64", java.util.Base64.getEncoder().encodeToString(e.payload()));
        }
        out.add(o);
      }
      req.response().putHeader("Content-Type", "application/json").end(out.encodePrettily());
    });
  }

  /** {@code POST /admin/deadletters/redrive}. */
  public void handleRedrive(HttpServerRequest req) {
    if (req.method() != HttpMethod.POST) {
      req.response().setStatusCode(405).putHeader("Allow", "POST").end();
      return;
    }
    redrive(limit(req, MAX_LIMIT)).onComplete(ar -> {
      if (ar.succeeded()) {
        json(req, 200, ar.result());
      } else if (ar.cause() instanceof IllegalStateException) {
        json(req, 409, new JsonObject().put("error", "BUSY").put("message", ar.cause().getMessage()));
      } else {
        json(req, 500, new JsonObject().put("error", "INTERNAL").put("message", ar.cause().getMessage()));
      }
    });
  }

  private static int limit(HttpServerRequest req, int dflt) {
    String l = req.getParam("limit");
    try {
      return l == null ? dflt : Integer.parseInt(l);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private static void json(HttpServerRequest req, int code, JsonObject body) {
    req.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(body.encodePrettily());
  }

  private static String utf8(byte[] b) {
    try {
      CharBuffer c = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
      return c.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
