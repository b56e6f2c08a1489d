package io.edgesync.edge.log;

/**
 * The outcome of {@link EventLog#append(byte[], io.edgesync.edge.dedup.DedupKey)}: either
 * the event was stored (durable) with {@code seq}, or it was a duplicate of an event already
 * stored (and durable) within the dedup window and was not stored again; {@code seq} is then
 * the original's seq, or -1 when unknown. Either way the publisher may be acknowledged.
 */
public record AppendResult(long seq, boolean duplicate) {}
