package io.edgesync.benchmarks;

import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Events as the edge makes them from the load generator's messages: 200-byte JSON payloads
 * {@code {"id":"r-c1-123","ts":…,"tn":…,"value":…,"pad":"…"}} padded with pseudo-random
 * lower-case letters (so compression is not flattered by a constant pad), 8 sources and topics,
 * class sequence numbers from 1. The same on every call.
 */
final class LoadgenEvents {
  static final String NODE = "bench-node-1";

  private LoadgenEvents() {}

  static List<Event> events(int count) {
    long t0 = 1_700_000_000_000L;
    long rnd = 0x9E3779B97F4A7C15L;
    List<Event> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String id = "r-c" + (i % 8) + "-" + (123 + i);
      StringBuilder json = new StringBuilder(200).append("{\"id\":\"").append(id).append("\",\"ts\":").append(t0 + i)
          .append(",\"tn\":").append((t0 + i) * 1000 + 123).append(",\"value\":").append(123 + i)
          .append(",\"pad\":\"");
      while (json.length() < 198) {
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 7;
        rnd ^= rnd << 17;
        json.append((char) ('a' + (int) ((rnd >>> 33) % 26)));
      }
      json.append("\"}");
      events.add(new Event(1000 + i, 1 + i, Priority.NORMAL, "loadgen-c" + (i % 8), "bench/p" + (i % 8), id,
          t0 + i, t0 + i + 7, json.toString().getBytes(StandardCharsets.US_ASCII)));
    }
    return events;
  }
}
