package io.edgesync.edge.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.edgesync.model.Event;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compacts a range of old events of a {@code downsample:<seconds>} class into summary events
 * (docs/ARCHITECTURE-edge.md, "Disk quota"): the events of one source in one event-time window
 * become ONE event whose payload holds their count, time span and, per top-level numeric field
 * of the JSON payloads, {@code min}, {@code max}, {@code avg}, {@code sum}, {@code first} and
 * {@code last} (for ticks: open = first, high = max, low = min, close = last of {@code price},
 * volume = sum of {@code size}). Data is thinned, not lost.
 *
 * <p>A later pass over a range that starts with earlier summaries folds them in: their counts,
 * sums, minima and maxima combine, so compacting twice loses nothing more than compacting once.
 *
 * <p>Feed it the events in class-seq order ({@link #add}); {@link #summaries()} returns one per
 * (source, window) group, ordered by the group's first event, so each source's summaries keep
 * its order. Memory: one entry per group and per numeric field. Not thread-safe.
 */
final class Downsampler {
  private static final JsonFactory JSON = new JsonFactory();
  /** Numeric fields summarised per group at most (the rest are counted in {@code droppedFields}). */
  static final int MAX_FIELDS = 32;

  private final long windowMs;
  private final Map<String, Group> groups = new LinkedHashMap<>();
  private int events;

  /** @param windowMs the event-time window of one summary (per source) */
  Downsampler(long windowMs) {
    if (windowMs < 1) {
      throw new IllegalArgumentException("windowMs must be >= 1");
    }
    this.windowMs = windowMs;
  }

  /** One (source, window) group being summarised. */
  private static final class Group {
    final String source;
    final long windowStart;
    String topic;
    long count;
    long firstClassSeq;
    long lastClassSeq;
    long fromTime = Long.MAX_VALUE;
    long toTime = Long.MIN_VALUE;
    int droppedFields;
    final Map<String, double[]> fields = new LinkedHashMap<>(); // min, max, sum, first, last, count

    Group(String source, long windowStart) {
      this.source = source;
      this.windowStart = windowStart;
    }
  }

  /** A summary event to be written in place of its group: source, topic, time and payload. */
  record Summary(String source, String topic, long eventTimeMs, long count, byte[] payload) {}

  void add(Event e) {
    events++;
    long window = Math.floorDiv(e.eventTimeMs(), windowMs) * windowMs;
    Group g = groups.computeIfAbsent(e.source() + '\u0000' + window, k -> new Group(e.source(), window));
    if (g.count == 0) {
      g.firstClassSeq = e.classSeq();
    }
    g.lastClassSeq = e.classSeq();
    g.topic = e.topic();
    if (isSummary(e.payload()) && foldSummary(e.payload(), g)) {
      return;
    }
    g.count++;
    g.fromTime = Math.min(g.fromTime, e.eventTimeMs());
    g.toTime = Math.max(g.toTime, e.eventTimeMs());
    numericFields(e.payload(), g);
  }

  private static final byte[] SUMMARY_PREFIX = "{\"summary\":".getBytes(StandardCharsets.US_ASCII);

  private static boolean isSummary(byte[] payload) {
    return payload != null && payload.length > SUMMARY_PREFIX.length
        && java.util.Arrays.equals(payload, 0, SUMMARY_PREFIX.length, SUMMARY_PREFIX, 0, SUMMARY_PREFIX.length);
  }

  /** Folds an earlier summary into {@code g}; false when it is not one of ours after all. */
  private static boolean foldSummary(byte[] payload, Group g) {
    JsonObject j;
    try {
      j = new JsonObject(new String(payload, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return false;
    }
    if (!(j.getValue("summary") instanceof JsonObject s) || !(s.getValue("count") instanceof Number n)) {
      return false;
    }
    g.count += n.longValue();
    g.fromTime = Math.min(g.fromTime, s.getLong("fromTime", g.fromTime));
    g.toTime = Math.max(g.toTime, s.getLong("toTime", g.toTime));
    g.droppedFields += s.getInteger("droppedFields", 0);
    if (j.getValue("fields") instanceof JsonObject fields) {
      for (String name : fields.fieldNames()) {
        if (!(fields.getValue(name) instanceof JsonObject f) || !(f.getValue("count") instanceof Number c)) {
          continue;
        }
        double[] v = g.fields.get(name);
        double min = f.getDouble("min");
        double max = f.getDouble("max");
        double sum = f.getDouble("sum");
        if (v == null) {
          if (g.fields.size() >= MAX_FIELDS) {
            g.droppedFields++;
            continue;
          }
          g.fields.put(name, new double[] {min, max, sum, f.getDouble("first"), f.getDouble("last"), c.doubleValue()});
        } else {
          v[0] = Math.min(v[0], min);
          v[1] = Math.max(v[1], max);
          v[2] += sum;
          v[4] = f.getDouble("last");
          v[5] += c.doubleValue();
        }
      }
    }
    return true;
  }

  /** Events added so far. */
  int events() {
    return events;
  }

  /** Summaries so far (one per group). */
  int groups() {
    return groups.size();
  }

  List<Summary> summaries() {
    List<Summary> out = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      JsonObject fields = new JsonObject();
      g.fields.forEach((name, v) -> fields.put(name, new JsonObject()
          .put("min", number(v[0])).put("max", number(v[1])).put("avg", v[2] / v[5]).put("sum", number(v[2]))
          .put("first", number(v[3])).put("last", number(v[4])).put("count", (long) v[5])));
      JsonObject summary = new JsonObject()
          .put("count", g.count)
          .put("fromTime", g.fromTime)
          .put("toTime", g.toTime)
          .put("windowStart", g.windowStart)
          .put("windowMs", windowMs)
          .put("fromClassSeq", g.firstClassSeq)
          .put("toClassSeq", g.lastClassSeq)
          .put("reason", "quota");
      if (g.droppedFields > 0) {
        summary.put("droppedFields", g.droppedFields);
      }
      byte[] payload = new JsonObject().put("summary", summary).put("fields", fields).encode()
          .getBytes(StandardCharsets.UTF_8);
      out.add(new Summary(g.source, g.topic, g.toTime, g.count, payload));
    }
    return out;
  }

  /** A whole number as a long (so 300 stays 300, not 300.0), else the double. */
  private static Object number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
  }

  /** Folds the top-level numeric fields of a JSON object payload into the group; anything else is skipped. */
  private static void numericFields(byte[] payload, Group g) {
    if (payload == null || payload.length == 0) {
      return;
    }
    try (JsonParser p = JSON.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
          fold(g, name, p.getDoubleValue());
        } else if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not JSON (or cut short): the event still counts, its fields do not
    }
  }

  private static void fold(Group g, String name, double x) {
    double[] v = g.fields.get(name);
    if (v == null) {
      if (g.fields.size() >= MAX_FIELDS) {
        g.droppedFields++;
        return;
      }
      g.fields.put(name, new double[] {x, x, x, x, x, 1});
      return;
    }
    v[0] = Math.min(v[0], x);
    v[1] = Math.max(v[1], x);
    v[2] += x;
    v[4] = x;
    v[5]++;
  }
}
