package io.tributary.log.internal.storage;

import io.tributary.log.TopicPartition;
import java.nio.file.Path;

/**
 * What recovery did to a partition on open: a torn or corrupt tail it cut off, or (with repair requested) corruption
 * before the recovery point it cut off, or data ending below the recovery point that it ended the partition at.
 * Logged as a warning and kept for tests and operators ({@link EmbeddedStorage#recoveryEvents()}).
 *
 * @param partition      the partition
 * @param file           the segment file that was cut; for data ending below the recovery point, the recovery point's
 *                       segment file (possibly missing, see {@code fileMissing})
 * @param position       byte position of the cut; for data ending below the recovery point, where that file ends (0
 *                       if it is missing)
 * @param bytesTruncated bytes removed from that file and the segments after it
 * @param zeroBytes      of those, the zero bytes at the end of that file: no data (a preallocated tail, or pages a
 *                       crash left unwritten); the rest held torn or corrupt batches
 * @param firstLostOffset the first offset no longer stored (the partition's new end offset)
 * @param problem        what was found at {@code position}
 * @param repaired       true if repair was requested and this cut corruption before the recovery point, or ended the
 *                       partition below its recovery point (which cuts nothing)
 * @param recoveryPointOffset for data ending below the recovery point, the recovery point's offset (offsets
 *                       {@code firstLostOffset} up to it were acknowledged and are missing; nothing was cut); -1 for a
 *                       cut
 * @param fileMissing    for data ending below the recovery point, true if {@code file} was missing; false for a cut
 */
public record RecoveryEvent(TopicPartition partition, Path file, long position, long bytesTruncated, long zeroBytes,
                            long firstLostOffset, String problem, boolean repaired, long recoveryPointOffset,
                            boolean fileMissing) {

    public RecoveryEvent {
        if (recoveryPointOffset >= 0 && (!repaired || bytesTruncated != 0 || recoveryPointOffset <= firstLostOffset)) {
            throw new IllegalArgumentException("recovery event of partition " + partition + " at " + file
                    + ": data ending below the recovery point is only ended by a repair, truncates nothing and ends "
                    + "below the recovery point (firstLostOffset " + firstLostOffset + ", recoveryPointOffset "
                    + recoveryPointOffset + ", bytesTruncated " + bytesTruncated + ", repaired " + repaired
                    + "); use endedBelowRecoveryPoint with the offset the data ends at");
        }
        if (fileMissing && recoveryPointOffset < 0) {
            throw new IllegalArgumentException("recovery event of partition " + partition + " at " + file
                    + ": a cut truncates a file that exists, so fileMissing is only for data ending below the "
                    + "recovery point; pass false, or use endedBelowRecoveryPoint");
        }
    }

    /** A cut ({@code recoveryPointOffset} -1). */
    public RecoveryEvent(TopicPartition partition, Path file, long position, long bytesTruncated, long zeroBytes,
                         long firstLostOffset, String problem, boolean repaired) {
        this(partition, file, position, bytesTruncated, zeroBytes, firstLostOffset, problem, repaired, -1, false);
    }

    /** A cut whose cut bytes are not split into data and zeros ({@code zeroBytes} 0). */
    public RecoveryEvent(TopicPartition partition, Path file, long position, long bytesTruncated, long firstLostOffset,
                         String problem, boolean repaired) {
        this(partition, file, position, bytesTruncated, 0, firstLostOffset, problem, repaired);
    }

    /**
     * A repair that ended the partition at {@code dataEnd}, where its data ends with no damage found, below the
     * recovery point at {@code recoveryPointOffset}: nothing is truncated, the offsets in between are already gone.
     *
     * @param file        the recovery point's segment file
     * @param fileMissing whether that file was missing
     * @param position    where that file ends (0 if it is missing)
     */
    public static RecoveryEvent endedBelowRecoveryPoint(TopicPartition partition, Path file, boolean fileMissing,
                                                        long position, long dataEnd, long recoveryPointOffset,
                                                        String problem) {
        return new RecoveryEvent(partition, file, position, 0, 0, dataEnd, problem, true, recoveryPointOffset,
                fileMissing);
    }

    /** The log line. */
    public String describe() {
        if (recoveryPointOffset >= 0) {
            // nothing was truncated: "truncated 0 bytes at <file> position 0" would point at a file that may not exist
            String missing = recoveryPointOffset - firstLostOffset == 1 ? "offset " + firstLostOffset + " is"
                    : "offsets " + firstLostOffset + "-" + (recoveryPointOffset - 1) + " are";
            String where = fileMissing ? "file " + file + " missing" : "file " + file + " ends at byte " + position;
            return "Repaired " + partition + ": ended the partition at offset " + firstLostOffset + "; " + missing
                    + " missing (" + where + "): " + problem + ". Nothing was truncated; new records take the offsets "
                    + "from " + firstLostOffset + " on (repair was requested)";
        }
        String cut = zeroBytes == 0 ? bytesTruncated + " bytes"
                : (bytesTruncated - zeroBytes) + " bytes of data and " + zeroBytes + " trailing zero bytes";
        return (repaired ? "Repaired " : "Recovered ") + partition + ": truncated " + cut + " at "
                + file + " position " + position + " (found " + problem + "); offsets from " + firstLostOffset
                + " on are gone" + (repaired ? " (repair was requested)" : " (an unfinished write cut short by a crash)");
    }
}
