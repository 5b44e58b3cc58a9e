package io.tributary.log.internal.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A sparse index of one segment: either offsets to file positions ({@code <base>.index}) or timestamps to offsets
 * ({@code <base>.timeindex}). A hint only: every lookup is checked against the data it points to, and recovery
 * rebuilds the index of any segment it scans. Never trusted over the data.
 *
 * <pre>
 * Index file
 *  offset size field
 *     0     4  magic      0x54495831 ("TIX1", offset index) or 0x54545831 ("TTX1", time index)
 *     4     2  version    1
 *     6     2  entrySize  8 (offset index) or 12 (time index)
 *     8     .  entries, sorted by key, both columns non-decreasing:
 *              offset index: relativeOffset int32 (batch base offset minus segment base) | position int32
 *              time index:   maxTimestamp int64 (largest timestamp up to this batch) | relativeOffset int32
 * </pre>
 *
 * The active segment's index lives on the heap (one entry per {@code index-interval-bytes} of data) and is written
 * to its file when the segment rolls or the log closes; a closed segment's index is memory-mapped read-only, so heap
 * use does not grow with the size of the log.
 *
 * <p>Thread-safety: one writer (the partition's writer) appends; any number of readers look up concurrently.
 */
final class SegmentIndex {

    static final int OFFSET_MAGIC = 0x54495831;
    static final int TIME_MAGIC = 0x54545831;
    static final int FILE_HEADER = 8;

    private final boolean time;
    private final int entrySize;
    private volatile ByteBuffer entries;
    private volatile int count;

    private SegmentIndex(boolean time, ByteBuffer entries, int count) {
        this.time = time;
        this.entrySize = time ? 12 : 8;
        this.entries = entries;
        this.count = count;
    }

    static SegmentIndex emptyOffsets() {
        return new SegmentIndex(false, ByteBuffer.allocate(8 * 64), 0);
    }

    static SegmentIndex emptyTimes() {
        return new SegmentIndex(true, ByteBuffer.allocate(12 * 64), 0);
    }

    int count() {
        return count;
    }

    /** Appends an offset entry (writer only). */
    void appendOffset(int relativeOffset, int position) {
        int c = count;
        ByteBuffer b = ensure(c);
        b.putInt(c * 8, relativeOffset);
        b.putInt(c * 8 + 4, position);
        count = c + 1;
    }

    /** Appends a time entry (writer only). */
    void appendTime(long maxTimestamp, int relativeOffset) {
        int c = count;
        ByteBuffer b = ensure(c);
        b.putLong(c * 12, maxTimestamp);
        b.putInt(c * 12 + 8, relativeOffset);
        count = c + 1;
    }

    private ByteBuffer ensure(int c) {
        ByteBuffer b = entries;
        if ((c + 1) * entrySize > b.capacity()) {
            // at least 64 entries: a sealed index loaded with no entries is mapped as an empty buffer, and doubling 0
            // stays 0 (a sealed segment is appended to again when the roll that sealed it failed)
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(64 * entrySize, b.capacity() * 2));
            bigger.put(0, b, 0, c * entrySize);
            entries = bigger;
            b = bigger;
        }
        return b;
    }

    long lastTimestamp() {
        int c = count;
        return c == 0 ? -1 : entries.getLong((c - 1) * 12);
    }

    /**
     * Offset index: the position of the last indexed batch whose base offset is {@code <= relativeOffset}, or 0.
     */
    int floorPosition(int relativeOffset) {
        int c = count;
        ByteBuffer b = entries;
        int lo = 0;
        int hi = c - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (b.getInt(mid * 8) <= relativeOffset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : b.getInt(found * 8 + 4);
    }

    /**
     * Time index: the relative offset from which to scan for the first record with timestamp {@code >= ts}: the
     * offset of the last entry whose running maximum timestamp is still below {@code ts} (every record before it is
     * older), or 0.
     */
    int scanStartForTimestamp(long ts) {
        int c = count;
        ByteBuffer b = entries;
        int lo = 0;
        int hi = c - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (b.getLong(mid * 12) < ts) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : b.getInt(found * 12 + 8);
    }

    /**
     * Replaces {@code file} with the index, atomically ({@link AtomicFiles#write}): never rewritten in place, so a
     * failed write cannot tear it and a reader's mapping of the old file stays intact (see {@link Segment#seal}).
     */
    void writeTo(Path file) throws IOException {
        AtomicFiles.write(file, encode());
    }

    /** The file's bytes: header, then the entries (see the class comment). */
    byte[] encode() {
        int c = count;
        ByteBuffer out = ByteBuffer.allocate(FILE_HEADER + c * entrySize);
        out.putInt(time ? TIME_MAGIC : OFFSET_MAGIC).putShort((short) 1).putShort((short) entrySize);
        out.put(FILE_HEADER, entries, 0, c * entrySize);
        return out.array();
    }

    /**
     * Maps an index file read-only if it passes the sanity checks (header, whole entries, both columns
     * non-decreasing, positions inside a segment of {@code segmentSize} bytes); empty otherwise, so the caller rebuilds.
     */
    static java.util.Optional<SegmentIndex> load(Path file, boolean time, long segmentSize) {
        int entrySize = time ? 12 : 8;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < FILE_HEADER || (size - FILE_HEADER) % entrySize != 0 || size > Integer.MAX_VALUE) {
                return java.util.Optional.empty();
            }
            ByteBuffer header = ByteBuffer.allocate(FILE_HEADER);
            ch.read(header, 0);
            if (header.getInt(0) != (time ? TIME_MAGIC : OFFSET_MAGIC) || header.getShort(4) != 1
                    || header.getShort(6) != entrySize) {
                return java.util.Optional.empty();
            }
            int c = (int) ((size - FILE_HEADER) / entrySize);
            ByteBuffer mapped = c == 0 ? ByteBuffer.allocate(0)
                    : ch.map(FileChannel.MapMode.READ_ONLY, FILE_HEADER, (long) c * entrySize);
            long prevKey = Long.MIN_VALUE;
            long prevValue = Long.MIN_VALUE;
            for (int i = 0; i < c; i++) {
                long key = time ? mapped.getLong(i * 12) : mapped.getInt(i * 8);
                long value = time ? mapped.getInt(i * 12 + 8) : mapped.getInt(i * 8 + 4);
                if (key < prevKey || value < prevValue || value < 0 || (!time && value >= segmentSize)) {
                    return java.util.Optional.empty();
                }
                prevKey = key;
                prevValue = value;
            }
            return java.util.Optional.of(new SegmentIndex(time, mapped, c));
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    static boolean exists(Path file) {
        return Files.isRegularFile(file);
    }
}
