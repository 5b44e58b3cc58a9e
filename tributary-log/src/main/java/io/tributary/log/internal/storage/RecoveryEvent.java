package io.tributary.log.internal.storage;

import io.tributary.log.TopicPartition;
import java.nio.file.Path;

/**
 * What recovery did to a partition on open: a torn or corrupt tail it cut off, or (with repair requested) corruption
 * before the recovery point it cut off. Logged as a warning and kept for tests and operators
 * ({@link EmbeddedStorage#recoveryEvents()}).
 *
 * @param partition      the partition
 * @param file           the segment file that was cut
 * @param position       byte position of the cut
 * @param bytesTruncated bytes removed from that file and the segments after it
 * @param zeroBytes      of those, the zero bytes at the end of that file: no data (a preallocated tail, or pages a
 *                       crash left unwritten); the rest held torn or corrupt batches
 * @param firstLostOffset the first offset no longer stored (the partition's new end offset)
 * @param problem        what was found at {@code position}
 * @param repaired       true if this cut corruption before the recovery point because repair was requested
 */
public record RecoveryEvent(TopicPartition partition, Path file, long position, long bytesTruncated, long zeroBytes,
                            long firstLostOffset, String problem, boolean repaired) {

    /** An event whose cut bytes are not split into data and zeros ({@code zeroBytes} 0). */
    public RecoveryEvent(TopicPartition partition, Path file, long position, long bytesTruncated, long firstLostOffset,
                         String problem, boolean repaired) {
        this(partition, file, position, bytesTruncated, 0, firstLostOffset, problem, repaired);
    }

    /** The log line. */
    public String describe() {
        String cut = zeroBytes == 0 ? bytesTruncated + " bytes"
                : (bytesTruncated - zeroBytes) + " bytes of data and " + zeroBytes + " trailing zero bytes";
        return (repaired ? "Repaired " : "Recovered ") + partition + ": truncated " + cut + " at "
                + file + " position " + position + " (found " + problem + "); offsets from " + firstLostOffset
                + " on are gone" + (repaired ? " (repair was requested)" : " (an unfinished write cut short by a crash)");
    }
}
