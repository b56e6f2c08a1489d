package io.edgesync.cloud.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * Which shard a node belongs to: Kafka's own key hash (murmur2 of the node id's UTF-8 bytes, made
 * positive, modulo the partition count of {@code edge.ingest-shards}), so every instance computes
 * the same shard, and an operator can too.
 */
public final class ShardMap {
  private ShardMap() {}

  /**
   * @param shards the partition count of {@code edge.ingest-shards}, at least 1
   * @return 0 .. shards-1
   */
  public static int shardOf(String nodeId, int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be >= 1, got " + shards);
    }
    return Utils.toPositive(Utils.murmur2(nodeId.getBytes(StandardCharsets.UTF_8))) % shards;
  }
}
