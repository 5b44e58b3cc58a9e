/**
 * The processing runtime: run a handler over a topic as a named consumer group, with partitions in parallel,
 * strict per-key order, bounded buffers, micro-batching, retries and a dead-letter queue.
 *
 * <p>Start one with {@link io.tributary.processing.Processor#start}. Guarantees, in short:
 * <ul>
 *   <li><b>Order.</b> Within a partition, events with the same key are handled one after another in offset order;
 *       different keys run concurrently up to {@link io.tributary.processing.ProcessorConfig#concurrencyPerPartition()}.
 *       Partitions run in parallel. Events without a key are treated as one key (kept in offset order).</li>
 *   <li><b>At-least-once.</b> The committed offset of a partition never passes the lowest event not yet completed,
 *       so a crash or a rebalance redelivers, never skips.</li>
 *   <li><b>Bounded memory.</b> At most {@link io.tributary.processing.ProcessorConfig#maxBufferedPerPartition()}
 *       events per partition are held (buffered or in flight); a full partition is paused on the consumer.</li>
 *   <li><b>Dead letters.</b> An event whose last attempt failed goes to the processor's dead-letter topic and the
 *       partition continues; by default later events of its key are parked behind it until an operator acts through
 *       {@link io.tributary.processing.DeadLetters}.</li>
 * </ul>
 */
@NullMarked
package io.tributary.processing;

import org.jspecify.annotations.NullMarked;
