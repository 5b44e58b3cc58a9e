package io.tributary.log.internal.storage;

import io.tributary.log.TopicConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compaction of one partition ({@code cleanup.policy} containing {@code compact}): rewrites closed segments keeping,
 * for each key, only its latest record; a tombstone (null value) that is the latest for its key is itself dropped
 * once its timestamp is more than {@code delete.retention.ms} old. Keyless records are kept. Offsets never change;
 * removed offsets become holes that reads skip. Only closed segments whose newest record is at least
 * {@code min.compaction.lag.ms} old are rewritten; the active segment never is.
 *
 * <p><b>Crash safety.</b> Each segment is swapped on its own, and every intermediate state is a valid log:
 * <ol>
 *   <li>the kept records are written to {@code <base>.log.cleaned} and synced ({@link Step#CLEANED_WRITTEN});
 *       a crash here leaves a stray {@code .cleaned} file that the next open deletes;</li>
 *   <li>the old segment's index files are deleted ({@link Step#OLD_INDEXES_DELETED}); a crash here leaves a segment
 *       without indexes, which the next open rebuilds from the data;</li>
 *   <li>{@code .cleaned} is renamed over {@code <base>.log} in one atomic rename and the folder is synced
 *       ({@link Step#SWAPPED}): before it the old file is in place, after it the new one;</li>
 *   <li>the new index files are written ({@link Step#INDEXES_WRITTEN}).</li>
 * </ol>
 * Segments are cleaned oldest first, so a tombstone is only dropped after the older values it deletes are gone.
 *
 * <p>Memory: one map entry (key bytes and offset) per distinct key in the partition while a pass runs. Runs on the
 * cleaner thread only.
 */
final class Compactor {

    static final String CLEANED_SUFFIX = ".cleaned";
    private static final int MAX_OUT_BATCH = 1 << 20;

    /** The points between the steps of a segment swap; tests crash at each. */
    enum Step { CLEANED_WRITTEN, OLD_INDEXES_DELETED, SWAPPED, INDEXES_WRITTEN }

    /** Called after each step (tests throw from it to simulate a crash there). */
    interface StepHook {
        void reached(Step step, Path segmentFile) throws IOException;
    }

    static final StepHook NO_HOOK = (s, f) -> { };

    private Compactor() {
    }

    /** Compacts {@code log} if its policy asks for it; returns the number of segments rewritten. */
    static int compact(PartitionLog log, long nowMs, StepHook hook) throws IOException {
        TopicConfig c = log.config();
        if (!c.isCompacted()) {
            return 0;
        }
        long end = log.endOffset();
        List<Segment> closed = log.closedSegments();
        if (end == log.compactedEnd && closed.size() == log.compactedSegments && nowMs < log.nextCompactionTrigger) {
            return 0; // nothing new since the last pass, and no tombstone or lag deadline has passed
        }
        long nextTrigger = Long.MAX_VALUE;
        List<Segment> cleanable = new ArrayList<>();
        for (Segment s : closed) {
            if (s.maxTimestamp > nowMs - c.minCompactionLagMs() || s.nextOffset > end) {
                // too young, or not yet acknowledged: every later segment waits too
                nextTrigger = Math.min(nextTrigger, saturatedAdd(s.maxTimestamp, c.minCompactionLagMs()));
                break;
            }
            cleanable.add(s);
        }
        if (cleanable.isEmpty()) {
            log.compactedEnd = end;
            log.compactedSegments = closed.size();
            log.nextCompactionTrigger = nextTrigger;
            return 0;
        }
        Map<ByteBuffer, Long> latest = new HashMap<>();
        for (Segment s : log.segments.values()) {
            forEachBatch(s, end, (buf, at) -> {
                for (BatchFormat.RecordView v : BatchFormat.views(buf, at)) {
                    if (v.keyLength() >= 0 && v.offset() < end) {
                        latest.put(keyOf(buf, v), v.offset());
                    }
                }
            });
        }
        long tombstoneHorizon = nowMs - c.deleteRetentionMs();
        int rewritten = 0;
        long[] trigger = {nextTrigger};
        for (Segment s : cleanable) {
            if (hasRemovable(s, latest, tombstoneHorizon, c.deleteRetentionMs(), trigger)
                    && rewrite(log, s, latest, tombstoneHorizon, hook)) {
                rewritten++;
            }
        }
        log.compactedEnd = end;
        log.compactedSegments = log.closedSegments().size();
        log.nextCompactionTrigger = trigger[0];
        return rewritten;
    }

    private interface BatchVisitor {
        void visit(ByteBuffer buf, int at) throws IOException;
    }

    private static void forEachBatch(Segment s, long end, BatchVisitor visitor) throws IOException {
        long limit = s.size;
        long pos = 0;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        while (pos < limit) {
            buf.clear().limit((int) Math.min(buf.capacity(), limit - pos));
            s.read(buf, pos);
            int got = buf.position();
            int at = 0;
            while (at + BatchFormat.LOG_OVERHEAD <= got) {
                int size = BatchFormat.batchSize(buf, at);
                if (at + size > got) {
                    break;
                }
                if (BatchFormat.baseOffset(buf, at) >= end) {
                    return;
                }
                visitor.visit(buf, at);
                at += size;
            }
            if (at == 0) {
                int size = BatchFormat.batchSize(buf, 0);
                if (size <= buf.capacity() || size < BatchFormat.HEADER_SIZE) {
                    return; // damaged length: leave the segment as it is; reads report it
                }
                buf = ByteBuffer.allocate(size);
                continue;
            }
            pos += at;
        }
    }

    /**
     * A copy of a keyed record's key, for the map of latest offsets. {@link BatchFormat.RecordView#keyStart()} is the
     * first key byte (the keyLength field is before it): every pass must read the key the same way, or distinct keys
     * compare equal and their latest records are dropped.
     */
    private static ByteBuffer keyOf(ByteBuffer buf, BatchFormat.RecordView v) {
        byte[] key = new byte[v.keyLength()];
        buf.get(v.keyStart(), key);
        return ByteBuffer.wrap(key);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /** Whether a segment holds a record to remove; notes when its kept tombstones will expire. */
    private static boolean hasRemovable(Segment s, Map<ByteBuffer, Long> latest, long tombstoneHorizon,
                                        long deleteRetentionMs, long[] trigger) throws IOException {
        boolean[] found = {false};
        forEachBatch(s, Long.MAX_VALUE, (buf, at) -> {
            for (BatchFormat.RecordView v : BatchFormat.views(buf, at)) {
                if (v.keyLength() < 0) {
                    continue;
                }
                Long last = latest.get(keyOf(buf, v));
                if (last == null || last != v.offset() || (v.tombstone() && v.timestamp() < tombstoneHorizon)) {
                    found[0] = true;
                } else if (v.tombstone()) {
                    trigger[0] = Math.min(trigger[0], saturatedAdd(v.timestamp(), deleteRetentionMs));
                }
            }
        });
        return found[0];
    }

    /** Rewrites one segment if it holds anything to remove; true if it did. */
    private static boolean rewrite(PartitionLog log, Segment s, Map<ByteBuffer, Long> latest, long tombstoneHorizon,
                                   StepHook hook) throws IOException {
        ByteBuffer[] outHolder = {ByteBuffer.allocate(MAX_OUT_BATCH + BatchFormat.HEADER_SIZE)};
        Path cleaned = s.file.resolveSibling(s.file.getFileName() + CLEANED_SUFFIX);
        boolean[] removedAny = {false};
        long[] group = {-1, -1, -1}; // base offset, next offset, max timestamp of the output batch being built
        int[] count = {0};
        try (FileChannel ch = FileChannel.open(cleaned, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long[] written = {0};
            forEachBatch(s, Long.MAX_VALUE, (buf, at) -> {
                long base = BatchFormat.baseOffset(buf, at);
                long next = BatchFormat.nextOffset(buf, at);
                List<BatchFormat.RecordView> keep = new ArrayList<>();
                for (BatchFormat.RecordView v : BatchFormat.views(buf, at)) {
                    boolean kept;
                    if (v.keyLength() < 0) {
                        kept = true;
                    } else {
                        Long last = latest.get(keyOf(buf, v));
                        kept = last != null && last == v.offset() && !(v.tombstone() && v.timestamp() < tombstoneHorizon);
                    }
                    if (kept) {
                        keep.add(v);
                    } else {
                        removedAny[0] = true;
                    }
                }
                ByteBuffer out = outHolder[0];
                int keepBytes = 0;
                for (BatchFormat.RecordView v : keep) {
                    keepBytes += v.recordSize();
                }
                if (group[0] >= 0 && out.position() + keepBytes > MAX_OUT_BATCH + BatchFormat.HEADER_SIZE) {
                    written[0] += flush(ch, out, group, count, written[0]);
                }
                if (group[0] < 0) {
                    group[0] = base;
                    group[2] = -1;
                    out.clear().position(BatchFormat.HEADER_SIZE);
                }
                if (keepBytes > out.remaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(out.position() + keepBytes); // one batch of huge records
                    bigger.put(out.flip());
                    out = bigger;
                    outHolder[0] = bigger;
                }
                for (BatchFormat.RecordView v : keep) {
                    int start = out.position();
                    out.put(buf.slice(v.recordStart(), v.recordSize()));
                    out.putInt(start + 4, (int) (v.offset() - group[0]));
                    group[2] = Math.max(group[2], v.timestamp());
                    count[0]++;
                }
                group[1] = next;
            });
            if (group[0] >= 0) {
                written[0] += flush(ch, outHolder[0], group, count, written[0]);
            }
            ch.force(true);
        }
        if (!removedAny[0]) {
            Files.deleteIfExists(cleaned);
            return false;
        }
        hook.reached(Step.CLEANED_WRITTEN, s.file);
        Files.deleteIfExists(s.indexFile());
        Files.deleteIfExists(s.timeIndexFile());
        hook.reached(Step.OLD_INDEXES_DELETED, s.file);
        Files.move(cleaned, s.file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFiles.syncDirectory(s.file.getParent());
        hook.reached(Step.SWAPPED, s.file);
        Segment fresh = Segment.open(s.file, s.baseOffset, log.indexIntervalBytes());
        Segment.ScanResult r = fresh.scan(false); // a compacted file is exact: zeros in it are damage
        if (r.problem() != null) {
            throw new IOException("Compacted segment " + s.file + " failed its own check (" + r.problem() + ")");
        }
        fresh.maxTimestamp = Math.max(fresh.maxTimestamp, s.maxTimestamp);
        fresh.seal();
        hook.reached(Step.INDEXES_WRITTEN, s.file);
        log.replaceSegment(s, fresh);
        return true;
    }

    /** Writes the output batch being built (header, CRC) to the cleaned file; returns its size. */
    private static int flush(FileChannel ch, ByteBuffer out, long[] group, int[] count, long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(out.position());
        b.put(out.duplicate().flip());
        BatchFormat.finishBatch(b, (int) (group[1] - 1 - group[0]), group[2], count[0]);
        b.putLong(BatchFormat.BASE_OFFSET, group[0]);
        b.flip();
        int size = b.remaining();
        long pos = position;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
        group[0] = -1;
        count[0] = 0;
        out.clear();
        return size;
    }
}
