/**
 * The embedded engine: Tributary's own log storage, the default backend. Nothing here is API; it may change in any
 * release.
 *
 * <p>Two halves meet at two interfaces: the storage side ({@code .storage}: segments, indexes, recovery, group
 * commit, retention, compaction, topics, the producer) implements {@link io.tributary.log.internal.PartitionReads};
 * the consumer side ({@code .group}: consumers, consumer groups, committed offsets) implements
 * {@link io.tributary.log.internal.ConsumerSide}.
 */
@NullMarked
package io.tributary.log.internal;

import org.jspecify.annotations.NullMarked;
