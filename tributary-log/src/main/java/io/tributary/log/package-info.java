/**
 * The EventLog API: a partitioned, durable, replayable log of {@link io.tributary.core.Record records}.
 *
 * <h2>Semantics every backend keeps</h2>
 * <ul>
 *   <li><b>Order.</b> Within one partition, records are stored and delivered in the order they were acknowledged;
 *       offsets are assigned by the log, start at 0 for a new partition, and increase by exactly one per record
 *       (a compacted or retention-trimmed partition has holes below its end, never reorderings).</li>
 *   <li><b>Acknowledged.</b> An append's future completes only when the record is durable under the topic's
 *       {@link io.tributary.log.Durability durability mode}: with {@code fsync=always} the bytes reached stable
 *       storage before the ack; with {@code fsync=never} they reached the OS page cache (a process crash keeps
 *       them, a power loss may not). A failed future means the record may or may not have been written; a retry
 *       may duplicate it unless the producer is idempotent.</li>
 *   <li><b>Keys.</b> A keyed record goes to {@link io.tributary.log.KeyPartitioner#partitionForKey partition
 *       murmur2(key) mod partitions}, exactly as Kafka's default partitioner, so a key lands on the same partition
 *       number on every backend.</li>
 *   <li><b>Groups.</b> Members of a consumer group share a topic's partitions; each partition has at most one owner
 *       at a time. On join, leave or session timeout the group rebalances: owners see
 *       {@link io.tributary.log.RebalanceListener#onPartitionsRevoked revoked} before the new owners see
 *       {@link io.tributary.log.RebalanceListener#onPartitionsAssigned assigned}. Committed offsets are the offset
 *       of the <em>next</em> record to read, stored durably per group and partition; a new owner resumes there, so
 *       records after the last commit may be delivered again (at-least-once).</li>
 * </ul>
 *
 * <p>Open a log with {@link io.tributary.log.EventLogs#open(java.util.Map)}; the backend is chosen by
 * {@code tributary.log.backend} ({@code embedded}, the default, or {@code kafka}).
 */
@NullMarked
package io.tributary.log;

import org.jspecify.annotations.NullMarked;
