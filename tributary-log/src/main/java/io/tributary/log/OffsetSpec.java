package io.tributary.log;

/** Where to move a group's offsets in {@link LogAdmin#resetOffsets}, or a consumer's position. */
public sealed interface OffsetSpec {

    /** The oldest offset still stored. */
    record Earliest() implements OffsetSpec {
    }

    /** The end of the log (only records appended later are read). */
    record Latest() implements OffsetSpec {
    }

    /** The first offset whose timestamp is at or after {@code timestamp} (ms), or the end if none. */
    record AtTimestamp(long timestamp) implements OffsetSpec {
    }

    /** Exactly this offset; must lie between start and end offsets. */
    record AtOffset(long offset) implements OffsetSpec {
    }

    static OffsetSpec earliest() {
        return new Earliest();
    }

    static OffsetSpec latest() {
        return new Latest();
    }

    static OffsetSpec atTimestamp(long timestamp) {
        return new AtTimestamp(timestamp);
    }

    static OffsetSpec atOffset(long offset) {
        return new AtOffset(offset);
    }
}
