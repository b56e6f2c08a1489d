package io.edgesync.edge.dedup;

import java.time.Duration;

/**
 * A snapshot of the dedup index for {@code /status}. Non-blocking to build.
 *
 * @param enabled    {@code dedup.enabled}
 * @param window     {@code dedup.window}
 * @param bucketMs   width of one time bucket
 * @param buckets    live buckets (each with one Bloom filter)
 * @param keys       keys in the live buckets' filters
 * @param bloomBytes heap held by the Bloom filters
 * @param idHits     duplicates caught by (source, id)
 * @param dupHits    MQTT redeliveries caught by (client id, packet id, payload)
 */
public record DedupStats(boolean enabled, Duration window, long bucketMs, int buckets, long keys, long bloomBytes,
    long idHits, long dupHits) {}
