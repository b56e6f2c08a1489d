package io.edgesync.cloud.testkit;

import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.edgesync.wire.BatchCodec;
import io.edgesync.wire.Compression;
import io.edgesync.wire.EventBatch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds batch frames the way an edge node does. Event {@code classSeq = c} of a batch gets global
 * {@code seq = 1000 + c}, source {@code dev-(c % 4)}, topic {@code sensors/dev-(c % 4)/temp},
 * event time {@code 1763760000000 + c}; even class seqs carry an explicit id
 * {@code "<node>-e<c>"} in their JSON payload, odd ones have none.
 */
public final class Frames {
  public static final long SEQ_OFFSET = 1000;
  public static final long TIME_BASE = 1_763_760_000_000L;

  private Frames() {}

  public static String source(long classSeq) {
    return "dev-" + (classSeq % 4);
  }

  public static String explicitId(String node, long classSeq) {
    return classSeq % 2 == 0 ? node + "-e" + classSeq : null;
  }

  /** The JSON payload of event {@code classSeq}. */
  public static String payload(String node, long classSeq) {
    String id = explicitId(node, classSeq);
    return "{" + (id == null ? "" : "\"id\":\"" + id + "\",") + "\"ts\":" + (TIME_BASE + classSeq)
        + ",\"value\":" + classSeq + ".5}";
  }

  public static Event event(String node, Priority priority, long classSeq) {
    return new Event(SEQ_OFFSET + classSeq, classSeq, priority, source(classSeq),
        "sensors/" + source(classSeq) + "/temp", explicitId(node, classSeq), TIME_BASE + classSeq,
        TIME_BASE + classSeq + 7, payload(node, classSeq).getBytes(StandardCharsets.UTF_8));
  }

  /** Envelopes of class seqs {@code first .. first+count-1}. */
  public static List<byte[]> envelopes(String node, Priority priority, long first, int count) {
    List<byte[]> out = new ArrayList<>(count);
    for (long c = first; c < first + count; c++) {
      out.add(EnvelopeCodec.encode(event(node, priority, c)));
    }
    return out;
  }

  /** A zstd frame of {@code count} normal-class events from {@code first}. */
  public static byte[] batch(String node, long first, int count) {
    return batch(node, Priority.NORMAL, first, count);
  }

  /** The same from the log with epoch {@code logEpoch} (frame flag EPOCH). */
  public static byte[] batch(String node, long first, int count, long logEpoch) {
    return BatchCodec.encode(new EventBatch(node, Priority.NORMAL, first, envelopes(node, Priority.NORMAL, first, count),
        false, logEpoch), Compression.ZSTD);
  }

  public static byte[] batch(String node, Priority priority, long first, int count) {
    return BatchCodec.encode(new EventBatch(node, priority, first, envelopes(node, priority, first, count)),
        Compression.ZSTD);
  }

  public static byte[] frame(String node, Priority priority, long first, List<byte[]> envelopes) {
    return BatchCodec.encode(new EventBatch(node, priority, first, envelopes), Compression.ZSTD);
  }
}
