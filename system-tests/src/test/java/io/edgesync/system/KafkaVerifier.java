package io.edgesync.system;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads what really landed in Kafka and checks the guarantees: exact count, no duplicate
 * {@code event-id}, per-source order, the §4 headers on every record.
 */
final class KafkaVerifier {

  /** One record as the tests see it. */
  record Rec(String key, String eventId, String nodeId, long seq, String source, long eventTime,
      int partition, long offset, long timestamp, String value, String reason) {}

  private KafkaVerifier() {}

  /**
   * Polls {@code topic} (read_committed, from the beginning) until {@code expected} records
   * matching {@code filter} are there and no more arrive for a short quiet period, or the
   * timeout passes. Returns all matching records.
   */
  static List<Rec> await(String bootstrap, String topic, Predicate<Rec> filter, int expected, Duration timeout) {
    return await(bootstrap, topic, filter, expected, timeout, true);
  }

  /**
   * As above; with {@code settle} false it returns as soon as {@code expected} records are
   * there (to watch progress, not to count).
   */
  static List<Rec> await(String bootstrap, String topic, Predicate<Rec> filter, int expected, Duration timeout,
      boolean settle) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // a reset must never skip what the test counts: the default (latest) would, silently
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    List<Rec> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (parts.isEmpty() && System.nanoTime() < deadline) {
        try {
          c.partitionsFor(topic, Duration.ofSeconds(5)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
          // a loaded machine or a cluster electing leaders: ask again until the deadline
        }
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < deadline) {
        int before = out.size();
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
          Rec rec = toRec(r);
          if (filter.test(rec)) {
            out.add(rec);
          }
        }
        if (out.size() >= expected) {
          if (!settle) {
            break;
          }
          if (out.size() > before || quietUntil == Long.MAX_VALUE) {
            // keep reading a little longer: a duplicate would show up right behind
            quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
          } else if (System.nanoTime() > quietUntil) {
            break;
          }
        }
      }
    }
    return out;
  }

  private static Rec toRec(ConsumerRecord<byte[], byte[]> r) {
    return new Rec(
        r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
        header(r, "event-id"), header(r, "node-id"), Long.parseLong(orMinus(header(r, "seq"))),
        header(r, "source"), Long.parseLong(orMinus(header(r, "event-time"))), r.partition(), r.offset(), r.timestamp(),
        r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8), header(r, "reason"));
  }

  private static String orMinus(String s) {
    return s == null ? "-1" : s;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Event ids that occur more than once. */
  static Set<String> duplicateIds(List<Rec> recs) {
    Set<String> seen = new HashSet<>();
    Set<String> dups = new HashSet<>();
    for (Rec r : recs) {
      if (!seen.add(r.eventId())) {
        dups.add(r.eventId());
      }
    }
    return dups;
  }

  /**
   * Sources whose records, read in partition-offset order, do not have increasing node
   * {@code seq}: a per-source order violation. Also fails if one source spans partitions.
   */
  static List<String> orderViolations(List<Rec> recs) {
    Map<String, Rec> last = new HashMap<>();
    List<String> bad = new ArrayList<>();
    List<Rec> sorted = new ArrayList<>(recs);
    sorted.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
        : Long.compare(a.offset(), b.offset()));
    for (Rec r : sorted) {
      Rec prev = last.put(r.source(), r);
      if (prev != null && (prev.partition() != r.partition() || prev.seq() >= r.seq())) {
        bad.add(r.source() + ": seq " + prev.seq() + "@p" + prev.partition() + " then " + r.seq() + "@p" + r.partition());
      }
    }
    return bad;
  }

  /**
   * Sources whose records, read in partition-offset order, carry a payload {@code value}
   * that does not grow: the order in which the device published was not kept.
   */
  static List<String> publishOrderViolations(List<Rec> recs) {
    java.util.regex.Pattern value = java.util.regex.Pattern.compile("\"value\":(\\d+)");
    Map<String, Long> last = new HashMap<>();
    List<String> bad = new ArrayList<>();
    List<Rec> sorted = new ArrayList<>(recs);
    sorted.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
        : Long.compare(a.offset(), b.offset()));
    for (Rec r : sorted) {
      java.util.regex.Matcher m = value.matcher(r.value());
      if (!m.find()) {
        bad.add(r.source() + ": no value in " + r.value());
        continue;
      }
      long v = Long.parseLong(m.group(1));
      Long prev = last.put(r.source(), v);
      if (prev != null && prev >= v) {
        bad.add(r.source() + ": value " + prev + " then " + v);
      }
    }
    return bad;
  }

  /**
   * What a read_committed reader cannot see yet, for a test that found fewer records than it
   * expected: per partition of {@code topics} the last stable offset next to the high watermark
   * (they differ while a transaction is open), the producers with an open transaction and where
   * it starts, and the transaction coordinator's view of every transactional id.
   */
  static String openTransactions(String bootstrap, String... topics) {
    Properties p = new Properties();
    p.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    StringBuilder out = new StringBuilder();
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      var offsets = io.edgesync.cloud.kafka.StuckPartitionWatch.offsets(admin, List.of(topics), 30_000);
      var producers = admin.describeProducers(offsets.keySet()).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
      for (TopicPartition tp : offsets.keySet()) {
        out.append(tp).append(": high watermark ").append(offsets.get(tp).highWatermark())
            .append(", last stable offset ").append(offsets.get(tp).lastStable());
        producers.get(tp).activeProducers().stream().filter(s -> s.currentTransactionStartOffset().isPresent())
            .forEach(s -> out.append("; open transaction of producer ").append(s.producerId()).append(" epoch ")
                .append(s.producerEpoch()).append(" from offset ").append(s.currentTransactionStartOffset().getAsLong())
                .append(" (last write ").append(s.lastTimestamp()).append(')'));
        out.append('\n');
      }
      List<String> ids = admin.listTransactions().all().get(30, java.util.concurrent.TimeUnit.SECONDS).stream()
          .map(org.apache.kafka.clients.admin.TransactionListing::transactionalId).sorted().toList();
      admin.describeTransactions(ids).all().get(30, java.util.concurrent.TimeUnit.SECONDS).forEach((id, d) ->
          out.append("coordinator: ").append(id).append(" producer ").append(d.producerId()).append(" epoch ")
              .append(d.producerEpoch()).append(' ').append(d.state()).append(' ').append(d.topicPartitions())
              .append('\n'));
    } catch (Exception e) {
      out.append("could not describe the transactions: ").append(e);
    }
    return out.toString();
  }

  /** Records missing one of the §4 headers or whose key is not the source. */
  static List<Rec> badHeaders(List<Rec> recs) {
    List<Rec> bad = new ArrayList<>();
    for (Rec r : recs) {
      if (r.eventId() == null || r.nodeId() == null || r.seq() < 1 || r.source() == null || r.eventTime() < 0
          || !r.source().equals(r.key())) {
        bad.add(r);
      }
    }
    return bad;
  }
}
