/**
 * The storage side of the embedded engine: segment files of CRC-checked record batches, sparse offset and time
 * indexes, recovery, group commit, retention, compaction, the topic catalog and the producer. The byte layouts are
 * drawn in {@link io.tributary.log.internal.storage.BatchFormat}, {@link io.tributary.log.internal.storage.SegmentIndex}
 * and {@link io.tributary.log.internal.storage.RecoveryCheckpoint}.
 */
@NullMarked
package io.tributary.log.internal.storage;

import org.jspecify.annotations.NullMarked;
