package io.edgesync.edge.testsupport;

import io.edgesync.edge.log.EventLog;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import java.util.ArrayList;
import java.util.List;

/** Reads everything a log holds (all classes), decoded. Blocking; test threads only. */
public final class LogContents {
  private LogContents() {}

  public static List<Event> all(EventLog log) {
    List<Event> out = new ArrayList<>();
    for (Priority p : Priority.values()) {
      out.addAll(of(log, p));
    }
    return out;
  }

  /** Envelope bytes of {@code events} as the log stores them: what its quota counts. */
  public static long envelopeBytes(List<Event> events) {
    long bytes = 0;
    for (Event e : events) {
      bytes += EnvelopeCodec.encode(e).length;
    }
    return bytes;
  }

  public static List<Event> of(EventLog log, Priority p) {
    List<Event> out = new ArrayList<>();
    long from = 1;
    while (true) {
      List<byte[]> chunk = log.read(p, from, 10_000, 64 * 1024 * 1024);
      if (chunk.isEmpty()) {
        return out;
      }
      for (byte[] b : chunk) {
        Event e = EnvelopeCodec.decode(b);
        out.add(e);
        from = e.classSeq() + 1;
      }
    }
  }
}
