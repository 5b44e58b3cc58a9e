package io.tributary.log.internal.storage;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.Durability;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One partition on disk: its segments, its single writer, its group commit and its recovery.
 *
 * <p><b>Single writer, by combining.</b> Appending threads put encoded batches on a lock-free queue; whichever thread
 * holds the write lock drains the whole queue into one positional write ({@code pwrite}) of up to 1 MiB, assigning
 * offsets in queue order. No thread hand-off is needed to write, so an uncontended append costs one syscall, and a
 * contended one costs none (another thread writes it). The queue is bounded by the producers' in-flight byte budgets
 * ({@code ProducerConfig.bufferMemoryBytes}); when a producer's budget is used up its {@code append} waits up to
 * {@code maxBlock} and then fails with a retriable {@code PRODUCER_BUFFER_FULL}.
 *
 * <p><b>Gathering under {@code fsync=never}.</b> Combining alone does nothing for one producer thread: nothing is
 * ever queued behind its own write, so every append paid its own {@code pwrite} (45% of a flat-out producer's time).
 * So when {@link #GATHER_STREAK} appends in a row arrive closer together than {@link #GATHER_GAP_NANOS} (a stream,
 * not a paced producer's catch-up after being descheduled), the appending thread only queues its batch
 * and hands writing to a per-partition writer thread ({@link #writeLoop}), which keeps writing whatever queued during
 * its previous write, one {@code pwrite} for many batches, until the queue stays empty; then it goes idle and the
 * next append writes directly again. A lone append therefore still costs one syscall on its own thread and no
 * thread hand-off (produce-to-consume latency stays in microseconds); a stream of appends costs the producer only
 * encoding and a queue insert. The writer is still the single writer: it writes under the same write lock.
 * A caller that waits for each acknowledgement before the next append also appends microseconds apart, but for it a
 * hand-off only adds a thread wake-up per append. So when a writer's busy spell ends having written a single batch
 * (nothing gathered), hand-offs stop for the next {@link #GATHER_PROBE_INTERVAL} appends, which are written directly.
 *
 * <p><b>Group commit.</b> Under {@code fsync=always} a per-partition sync thread calls {@code force(false)}
 * (fdatasync) on the active segment while writers keep writing; one sync acknowledges every batch written before
 * it began. Under {@code interval:<ms>} it syncs on that period and batches are acknowledged once written; under
 * {@code never} there is no sync thread. Only the data file is synced before an ack: indexes are rebuilt on recovery.
 *
 * <p><b>Preallocation.</b> Under {@code fsync=always} an fdatasync of a growing file must also commit the new length
 * and extents to the file system's journal, about doubling its latency, and that sync is on every acknowledgement's
 * path. So the writer keeps up to {@code segment-preallocate-bytes} (as much as the segment already holds, at least
 * {@link #FIRST_FILL}) ahead of the active segment's end zero-filled and synced: when less than half is left after a
 * write, it reserves the next stretch and one of the storage's few fill threads fills it
 * ({@link Segment#startFill}), never the writer or the sync thread. When nothing is filled yet (a new segment, a reopen),
 * a short first stretch ({@link #FIRST_FILL}) starts {@link #FILL_GAP} past the end, so the first appends neither wait
 * for it nor run long on a growing file. The writer waits only if it catches up with a fill's chunks, for at most
 * one chunk, never for the fill's sync. A fill that fails (disk full, O_DIRECT refused, no memory or threads) is
 * logged as a WARNING once per partition, and the next is tried once the appends have passed where it started.
 * A roll and a clean close cut the zeros off; recovery of an {@code fsync=always} partition takes the zeros of its
 * last segment as its tail, not as a torn write (see {@link Segment}).
 *
 * <p><b>Recovery</b> ({@link #open}): segments before the recovery point are trusted (their index files are
 * sanity-checked and rebuilt if they fail, and {@link Segment#endsAt} checks from the last index entry that the data
 * ends where the next segment file begins, else the segment is read in full and a missing file in between is a gap
 * like any other); the last segment and every segment from the recovery point on are read
 * in full and checked batch by batch (length, magic, version, CRC-32C, offset continuity). An invalid batch after the
 * recovery point is a torn tail: the file is cut there, later segments are deleted, and a {@link RecoveryEvent} is
 * reported. An invalid batch before the recovery point is corruption of data that was durable: opening fails with a
 * {@link CorruptionException} naming the file, position and offset, unless repair was requested.
 *
 * <p>Thread-safe. Reads never block writes.
 */
final class PartitionLog {

    private static final System.Logger LOG = System.getLogger(PartitionLog.class.getName());
    static final int MAX_WRITE_BYTES = 1 << 20;
    /**
     * Under {@code fsync=never}, an append this soon after the previous one goes to the writer thread (see the class
     * comment). 20 us: a flat-out producer appends every few microseconds, while paced appends at up to ~50,000/s
     * (the log suite's produce-to-consume runs use 20,000/s) keep the direct write and its latency.
     */
    private static final long GATHER_GAP_NANOS = 20_000;
    /** Close appends in a row before the first hand-off: a short catch-up burst keeps the direct write's latency. */
    private static final int GATHER_STREAK = 32;
    /** Direct appends after a hand-off that gathered nothing before the next hand-off is tried (see class comment). */
    private static final int GATHER_PROBE_INTERVAL = 1024;
    private static final int READ_CHUNK = 256 * 1024;
    /**
     * Where the first fill of a segment starts, past its end: the next 64 KiB of appends grow the file as before
     * instead of waiting behind the fill's first chunk.
     */
    static final long FILL_GAP = 64 * 1024;
    /**
     * The first fill of a segment is short, so its zeros are synced, and appends reach them, within milliseconds (until
     * a fill's own sync commits the new length, an append's sync does it, slowly); later fills grow with the segment
     * up to {@link #preallocateBytes} (see {@link #preallocate}).
     */
    static final long FIRST_FILL = 1 << 20;
    private static final long FILL_ALIGN = Segment.FILL_ALIGN;
    /**
     * Each platform reader thread's read buffer, reused: a poll used to allocate (and zero) a fresh buffer of up to
     * {@link #READ_CHUNK} per partition read, about 3% of a busy consumer thread. Safe because decoding copies every
     * key, value and header out of it. Virtual threads (possibly very many, each short-lived) allocate as before.
     */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER = new ThreadLocal<>();
    /** How deep a thread is in telling appends their outcome (any thread: see {@link #acknowledging}). */
    private static final ThreadLocal<int[]> TELLING = new ThreadLocal<>();

    final TopicPartition tp;
    final Path dir;
    private final EmbeddedStorage storage;
    private final int indexIntervalBytes;
    private final int preallocateBytes;
    /** Whether a failed fill was logged as a WARNING already (later ones go to DEBUG, see {@link #fillFailed}). */
    private volatile boolean fillFailureLogged;
    private volatile TopicConfig config;
    private volatile Durability durability;
    private volatile int segmentBytes;

    final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private volatile Segment active;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<PendingAppend> queue = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<PendingAppend> awaitingSync = new ConcurrentLinkedQueue<>();
    private long nextOffset;
    /** The published end: every offset below it is acknowledged and readable. Only ever moves forward. */
    private final java.util.concurrent.atomic.AtomicLong endOffset = new java.util.concurrent.atomic.AtomicLong();
    private volatile WrittenMark written;
    private volatile long checkpointedOffset = -1;
    /**
     * Held to write {@code recovery-point.checkpoint} while the log runs: a roll (writing thread, under the write
     * lock) and the cleaner's {@link #checkpoint()} (outside it) used to write it at once through the same temp file,
     * and one renamed the other's away: the cleaner's pass, or the roll and with it an append, then failed with a
     * NoSuchFileException. Never taken before the write lock (a roll holds that one while it waits for this).
     */
    private final Object recoveryPointLock = new Object();
    /**
     * Held across every fsync of segment data while the log runs (the sync thread's, a roll's, a checkpoint's, a
     * clean close's) and the recording of its failure ({@link #dataSyncFailed}). Linux reports a failed write-back
     * once per open file, to the first fsync that checks after it: of two fsyncs of one segment at once, one could
     * fail for pages the other covered while the other returned success. The sync thread then acknowledged batches a
     * roll's failed fsync may have dropped, having read the flag before the roll set it. Taking turns, an fsync that
     * succeeds either covered its pages itself or finds an earlier failure recorded. A preallocating fill's fsync
     * is the exception: it runs on its own open file and may take long, so it is not under this lock; Linux tells the
     * partition's channel of a failed write-back too, and {@link #fillFailed} records the fill's own failure under
     * this lock (the one report there is once {@link Segment} reopened its channel). A roll or close waits for that
     * record (a fill's failed fsync is reported before the fill ends, see {@link Segment#stopFills}); the sync thread
     * does not: between the fill's failed fsync and the record, an fsync of a channel reopened after the failed
     * write-back succeeds and its batches are acknowledged. A narrow window, left open because closing it made every
     * fsync=always acknowledgement wait for the fills. Taken after the write lock (a roll holds that), never before
     * it; no foreign code runs under it.
     */
    private final ReentrantLock syncLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile boolean closing;
    private volatile boolean deleted;
    private volatile TributaryException failure;
    /**
     * Set (after {@link #failure}, under {@link #syncLock}) when an fsync of this partition's data failed: a later one
     * that succeeds does not prove the data on disk (the failed one may have dropped it from the page cache), so the
     * sync thread then acknowledges nothing more.
     */
    private volatile boolean dataSyncFailed;
    private volatile Thread syncer;
    private volatile boolean stopSyncer;
    /** Set while the fsync=always sync thread is in its write-then-sync cycle (see {@link #syncLoop(WrittenMark)}). */
    private volatile boolean syncerBusy;
    /** Set once close() synced the active segment's tail: a sync thread that outlived close may then acknowledge. */
    private volatile boolean tailSynced;
    /** How long closing waits for the sync and writer threads to end; tests shorten it. */
    volatile long stopWaitMillis = 10_000;
    /** The fsync=never writer thread (see the class comment); started on the first hand-off. */
    private volatile Thread writer;
    private volatile boolean stopWriter;
    /** Set while the writer owns the queue: appends then only queue. Cleared by the writer when the queue is empty. */
    private volatile boolean writerBusy;
    private volatile long lastSubmitNanos;
    /** Appends to write directly before trying a hand-off again; racy updates only shift when the next probe is. */
    private volatile int gatherBackoff;
    /** Appends in a row that came less than {@link #GATHER_GAP_NANOS} after the previous one (racy, a heuristic). */
    private volatile int closeStreak;
    private final List<Segment> retired = new ArrayList<>();
    /**
     * The batches one sync acknowledges, reused by every cycle of the sync thread (a list per sync was garbage per
     * append when each sync covers one append). A field, not a local, so that should anything escape the sync loop
     * between taking batches off {@link #awaitingSync} and telling them, {@link #runSyncLoop} still finds and fails
     * them. Only the sync thread touches it; cleared after each use.
     */
    private final ArrayList<PendingAppend> syncedBatch = new ArrayList<>();
    /** Test support: thrown by the sync or writer thread at the top of its next cycle (see {@link #injectLoopFault}). */
    private volatile @Nullable Error loopFault;
    /** Test support: runs in {@link #writeQueued} under the write lock, once a write's batches are taken off the queue. */
    volatile @Nullable Runnable afterTakingBatch;
    /** Test support: thrown once by the next roll in place of writing its recovery point, as a failed write would. */
    volatile @Nullable IOException rollCheckpointFault;
    /** Test support: thrown once by the next roll once it cut and synced the old segment's tail, as a failed sync. */
    volatile @Nullable IOException rollTailSyncFault;
    /** Test support: run by a roll once it cut and synced the old segment's tail, before {@link #rollTailSyncFault}. */
    volatile @Nullable Runnable duringRollTailSync;
    /** Test support: thrown once by the next roll's {@link Segment#create} once the new file is open. */
    volatile @Nullable IOException rollCreateFault;
    /** Test support: thrown once by the folder sync that makes a failed roll's delete of its stray file durable. */
    volatile @Nullable IOException rollStraySyncFault;
    /** Test support: run by a clean close once it checked for a failure, before it cuts and syncs the tail. */
    volatile @Nullable Runnable beforeCloseTailCut;
    /** Test support: run by the sync thread just before each fsync it makes. */
    volatile @Nullable Runnable beforeSync;
    /** Test support: thrown once by the sync thread's next fsync in its place, as a failed one. */
    volatile @Nullable IOException syncFault;
    /** Test support: run by a roll (under the write lock) before it does anything. */
    volatile @Nullable Runnable beforeRoll;
    /** Test support: thrown once by the next {@link #checkpoint()} in place of its fsync, as a failed one. */
    volatile @Nullable IOException checkpointSyncFault;
    /** Test support: runs in {@link #checkpoint()} once it synced, before it takes the recovery-point lock. */
    volatile @Nullable Runnable beforeCheckpointWrite;
    /** Compaction bookkeeping (cleaner thread only): the state after the last pass, and when time alone calls for one. */
    long compactedEnd = -1;
    int compactedSegments = -1;
    long nextCompactionTrigger = Long.MIN_VALUE;

    /** The end of the data written to {@code segment} (offsets below {@code endOffset}). */
    private record WrittenMark(Segment segment, long endOffset) {
    }

    private PartitionLog(EmbeddedStorage storage, TopicPartition tp, Path dir, TopicConfig config, int indexIntervalBytes) {
        this.storage = storage;
        this.tp = tp;
        this.dir = dir;
        this.indexIntervalBytes = indexIntervalBytes;
        this.preallocateBytes = storage.segmentPreallocateBytes();
        applyConfig(config);
    }

    // ------------------------------------------------------------------------------------------------ open/recover

    /** Creates the folder of a new, empty partition. */
    static PartitionLog create(EmbeddedStorage storage, TopicPartition tp, Path dir, TopicConfig config,
                               int indexIntervalBytes) throws IOException {
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        PartitionLog log = new PartitionLog(storage, tp, dir, config, indexIntervalBytes);
        Segment s = Segment.create(dir, 0, indexIntervalBytes);
        log.segments.put(0L, s);
        log.active = s;
        new RecoveryCheckpoint(0, 0, 0).writeTo(dir);
        log.checkpointedOffset = 0;
        return log;
    }

    /** Opens and recovers an existing partition folder (see the class comment). */
    static PartitionLog open(EmbeddedStorage storage, TopicPartition tp, Path dir, TopicConfig config,
                             int indexIntervalBytes, boolean repair, List<RecoveryEvent> events,
                             List<String> corruption) throws IOException {
        PartitionLog log = new PartitionLog(storage, tp, dir, config, indexIntervalBytes);
        TreeMap<Long, Path> files = new TreeMap<>();
        List<Path> indexFiles = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.endsWith(AtomicFiles.TEMP_SUFFIX) || name.endsWith(Compactor.CLEANED_SUFFIX)
                        || name.endsWith(".deleted")) {
                    Files.deleteIfExists(p); // leftovers of an interrupted checkpoint, compaction or deletion
                } else if (name.endsWith(Segment.LOG_SUFFIX) && name.length() == 20 + Segment.LOG_SUFFIX.length()) {
                    files.put(Long.parseLong(name.substring(0, 20)), p);
                } else if (indexBase(name) >= 0) {
                    indexFiles.add(p);
                }
            }
        }
        Optional<RecoveryCheckpoint> cp = RecoveryCheckpoint.read(dir);
        boolean noSegmentFiles = files.isEmpty();
        if (noSegmentFiles && cp.isPresent() && cp.get().offset() > 0 && !repair) {
            // Every segment file is missing though the recovery point says records were synced: refused by the end
            // check below, but refused here, before the empty first segment is created. That file would outlive the
            // refusal, and once the operator restored only the later files it would be a gap refusing the open again.
            Path cpFile = Segment.logFile(dir, cp.get().segmentBase());
            corruption.add(corruptionMessage(tp, cpFile, 0, 0, endsBelowRecoveryPoint(0, cp.get(), cpFile, true)));
            return log;
        }
        if (noSegmentFiles) {
            Segment s = Segment.create(dir, 0, indexIntervalBytes);
            files.put(0L, s.file);
            s.close();
        }
        long lastBase = files.lastKey();
        long scanFrom = cp.map(c -> Math.min(c.segmentBase(), lastBase)).orElse(files.firstKey());
        long expected = files.firstKey();
        boolean cut = false; // a gap or a damaged segment was cut (and reported) below
        long cutAt = -1; // the offset the log was cut at, by any of the cuts below (-1: none)
        // trusted segments whose index files the scan rebuilt: sealed only once the open is sure to succeed
        List<Segment> toReseal = new ArrayList<>();
        List<Long> bases = new ArrayList<>(files.keySet());
        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            Segment seg = Segment.open(files.get(base), base, indexIntervalBytes);
            long knownNext = i + 1 < bases.size() ? bases.get(i + 1) : -1;
            boolean trusted = base < scanFrom && knownNext >= 0;
            if (base != expected) {
                String problem = "segment " + seg.file.getFileName() + " starts at offset " + base + " but offset "
                        + expected + " was expected";
                // <=, not <: a roll syncs the old segment before the recovery point moves to the new one, so a
                // segment at the recovery point that does not start where the one before it ends lost synced data.
                // A gap after the recovery point's segment loses synced data too when that segment ended below it.
                boolean beforeRecoveryPoint = cp.isPresent()
                        && (base <= cp.get().segmentBase() || expected < cp.get().offset());
                if (beforeRecoveryPoint && !repair) {
                    seg.close();
                    corruption.add(corruptionMessage(tp, seg.file, 0, expected, problem));
                    log.closeSegments();
                    return log;
                }
                long lost = 0;
                for (int j = i; j < bases.size(); j++) {
                    lost += Files.size(files.get(bases.get(j)));
                }
                seg.close();
                deleteSegmentsFrom(dir, bases.subList(i, bases.size()));
                report(events, new RecoveryEvent(tp, seg.file, 0, lost, expected, problem, beforeRecoveryPoint));
                cut = true;
                cutAt = expected;
                break;
            }
            boolean indexesLoaded = trusted && seg.loadIndexes(knownNext);
            if (indexesLoaded && seg.endsAt(knownNext)) {
                log.segments.put(base, seg);
                expected = knownNext;
                continue;
            }
            // Not trusted, its index files failed to load, or its data does not end where the next file begins (a
            // segment file missing in between, or a damaged tail): scanned. A scan that finds the data sound ends at
            // its real end, and the next segment's base check below reports the gap as any other.
            // only the last segment of an fsync=always partition can end in preallocated zeros; elsewhere zeros at
            // the end can be acknowledged records lost (fsync=interval/never after a power loss), so they are reported
            Segment.ScanResult r = seg.scan(knownNext < 0 && log.durability instanceof Durability.Always);
            log.segments.put(base, seg);
            boolean beforeRecoveryPoint = cp.isPresent() && (base < cp.get().segmentBase()
                    || (base == cp.get().segmentBase() && r.validEnd() < cp.get().position()));
            String problem = r.problem();
            if (r.zeroTail() && beforeRecoveryPoint) {
                // zeros where synced batches were: the preallocated tail never reaches back past the recovery point
                problem = "zero bytes where a batch should start, before the recovery point (byte "
                        + cp.get().position() + " of segment " + cp.get().segmentBase() + ")";
            } else if (r.zeroTail()) {
                seg.truncate(r.validEnd()); // the preallocated tail, not data; the next fill lays a fresh one
            }
            if (problem != null) {
                long fileSize = seg.fileSize();
                if (beforeRecoveryPoint && !repair) {
                    corruption.add(corruptionMessage(tp, seg.file, r.validEnd(), r.nextOffset(), problem));
                    log.closeSegments();
                    return log;
                }
                long lost = fileSize - r.validEnd();
                long zeros = seg.trailingZeros(r.validEnd()); // e.g. a preallocated tail behind a torn batch
                for (int j = i + 1; j < bases.size(); j++) {
                    lost += Files.size(files.get(bases.get(j)));
                }
                seg.truncate(r.validEnd());
                deleteSegmentsFrom(dir, bases.subList(i + 1, bases.size()));
                report(events, new RecoveryEvent(tp, seg.file, r.validEnd(), lost, zeros, r.nextOffset(), problem,
                        beforeRecoveryPoint));
                expected = r.nextOffset();
                cut = true;
                cutAt = expected;
                break;
            }
            if (knownNext >= 0 && base < scanFrom && (!indexesLoaded || r.nextOffset() == knownNext)) {
                // a trusted segment whose index files were missing or damaged (loaded, but pointing elsewhere than
                // the data's end): rebuilt by the scan, rewrite them, after the loop. Not when the data ends before
                // the next file begins: that gap refuses the open below, which must leave the folder as it found it.
                toReseal.add(seg);
            }
            expected = r.nextOffset();
        }
        if (!cut && cp.isPresent() && cp.get().offset() > expected) {
            // The recovery point is written only once the data below it is synced, so data ending below it, with no
            // damage found on the way, means acknowledged records are gone: the segment holding the recovery point
            // is missing (the last file left scans clean and ends at that segment's base) or was cut at a batch
            // boundary. Taking the end found as the log's end would overwrite the recovery point and lose them
            // silently; refuse, or cut there with repair, as for a gap.
            long cpBase = cp.get().segmentBase();
            Path cpFile = Segment.logFile(dir, cpBase);
            // with no segment file at all, segment 0 is the empty one created above, not one that was found
            Segment cpSegment = noSegmentFiles ? null : log.segments.get(cpBase);
            long position = cpSegment == null ? 0 : cpSegment.size;
            String problem = endsBelowRecoveryPoint(expected, cp.get(), cpFile, cpSegment == null);
            if (!repair) {
                corruption.add(corruptionMessage(tp, cpFile, position, expected, problem));
                log.closeSegments();
                return log;
            }
            report(events, RecoveryEvent.endedBelowRecoveryPoint(tp, cpFile, cpSegment == null, position, expected,
                    cp.get().offset(), problem));
            cutAt = expected;
        }
        // Not in the loop: a gap or damage further on may still refuse the open, which must write nothing (the
        // old index files may go back with a segment file restored by hand). None of these is the last segment, and
        // no cut reaches them: a cut keeps the segments before the one it truncates.
        for (Segment s : toReseal) {
            s.seal();
        }
        Segment last = log.segments.lastEntry().getValue();
        for (Segment s : log.segments.values()) {
            if (s != last && s.offsetIndex.count() > 0 && !SegmentIndex.exists(s.indexFile())) {
                s.seal();
            }
        }
        log.active = last;
        log.nextOffset = expected;
        log.endOffset.set(expected);
        log.written = new WrittenMark(last, expected);
        if (cp.isEmpty() || cp.get().offset() != expected || cp.get().segmentBase() != last.baseOffset
                || cp.get().position() != last.size) {
            last.force(true);
            new RecoveryCheckpoint(expected, last.baseOffset, last.size).writeTo(dir);
        }
        log.checkpointedOffset = expected;
        deleteOrphanedIndexFiles(tp, indexFiles, files.firstKey(), cutAt, log.segments.keySet());
        return log;
    }

    /**
     * The base offset of a segment index file's name ({@code <20 digits>.index} or {@code .timeindex}), or -1 if the
     * name is not one.
     */
    private static long indexBase(String name) {
        String suffix = name.endsWith(Segment.INDEX_SUFFIX) ? Segment.INDEX_SUFFIX
                : name.endsWith(Segment.TIME_INDEX_SUFFIX) ? Segment.TIME_INDEX_SUFFIX : null;
        if (suffix == null || name.length() != 20 + suffix.length()) {
            return -1;
        }
        for (int i = 0; i < 20; i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(name.substring(0, 20));
    }

    /**
     * Deletes the index files of segments that are gone, which nothing else would ever remove: below the first
     * segment, those retention left (it moved the segment aside and deleted it, then could not delete these, or a
     * crash came between); at or above {@code cutAt} (when the open cut the log, else -1), those of the segment files
     * that were missing when the open cut the log there (the cut deletes the files it finds, not these), which would
     * otherwise lie beside the offsets the log reuses. Run only once the open succeeded: an open refused for a gap or
     * corruption must leave the folder as it found it (a missing segment file may be restored by hand, its indexes
     * with it). Only regular files named as a segment's index and of no segment kept ({@code kept}): nothing else in
     * the folder is ours.
     */
    private static void deleteOrphanedIndexFiles(TopicPartition tp, List<Path> indexFiles, long firstBase,
                                                 long cutAt, java.util.Set<Long> kept) {
        for (Path p : indexFiles) {
            long base = indexBase(p.getFileName().toString());
            boolean orphaned = base < firstBase || (cutAt >= 0 && base >= cutAt);
            if (!orphaned || kept.contains(base) || !Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not delete " + p + ", an index file of " + tp
                        + " whose segment is gone (" + e + "); it is unused. Remove it by hand.");
            }
        }
    }

    /** The problem found when the data ends at {@code dataEnd}, below the recovery point {@code cp}. */
    private static String endsBelowRecoveryPoint(long dataEnd, RecoveryCheckpoint cp, Path cpFile, boolean missing) {
        return "no data from offset " + dataEnd + " on, though the recovery point is at offset " + cp.offset()
                + " (byte " + cp.position() + " of segment " + cpFile.getFileName()
                + (missing ? ", a file that is missing" : "") + ")";
    }

    private static String corruptionMessage(TopicPartition tp, Path file, long position, long offset, String problem) {
        return "partition " + tp + ": " + file + " at byte " + position + " (offset " + offset + ") holds " + problem
                + ", before the recovery point, so acknowledged data is damaged";
    }

    private static void report(List<RecoveryEvent> events, RecoveryEvent e) {
        events.add(e);
        LOG.log(System.Logger.Level.WARNING, e.describe());
    }

    private static void deleteSegmentsFrom(Path dir, List<Long> bases) throws IOException {
        for (long b : bases) {
            Files.deleteIfExists(Segment.logFile(dir, b));
            Files.deleteIfExists(Segment.indexFile(dir, b));
            Files.deleteIfExists(Segment.timeIndexFile(dir, b));
        }
        AtomicFiles.syncDirectory(dir);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ config

    void applyConfig(TopicConfig c) {
        this.config = c;
        this.durability = c.durability();
        this.segmentBytes = c.segmentBytes();
    }

    TopicConfig config() {
        return config;
    }

    /** The sync thread starts on a partition's first append that needs it, so idle partitions cost no thread. */
    private synchronized void startSyncerIfNeeded() {
        if (syncer == null && !stopSyncer && !(durability instanceof Durability.Never)) {
            // Capture what counts as already synced now, not when the thread first runs: under load an append can
            // set a new mark before the thread is scheduled, and reading it then would skip syncing (and acking) it.
            WrittenMark alreadySynced = written;
            Thread t = Thread.ofPlatform().daemon().name("tributary-sync-" + tp)
                    .unstarted(() -> runSyncLoop(alreadySynced));
            syncer = t;
            t.start();
        }
    }

    // ------------------------------------------------------------------------------------------------ append

    /** Queues an encoded batch; it is acknowledged or failed later (possibly on this thread, before this returns). */
    void submit(PendingAppend p) {
        TributaryException f = closing ? rejection(true) : rejection(false);
        if (f != null) {
            fail(p, f);
            return;
        }
        if (syncer == null && !(durability instanceof Durability.Never)) {
            startSyncerIfNeeded();
        }
        queue.offer(p);
        if (syncerBusy) {
            return; // fsync=always and a sync is running: the sync thread writes this batch before its next sync
        }
        if (durability instanceof Durability.Never) {
            long now = System.nanoTime();
            long gap = now - lastSubmitNanos;
            lastSubmitNanos = now;
            if (writerBusy) {
                return; // the writer takes this batch in its next write (it checks the queue after going idle)
            }
            if (gap < GATHER_GAP_NANOS) {
                int streak = closeStreak + 1;
                closeStreak = streak;
                int backoff = gatherBackoff;
                if (backoff > 0) {
                    gatherBackoff = backoff - 1;
                } else if (streak >= GATHER_STREAK && handOff()) {
                    return;
                }
            } else {
                closeStreak = 0;
            }
        }
        drain();
    }

    /**
     * Whether this thread is telling appends their outcome (running an append's callback or a future's stage: the
     * sync or writer thread, an appending thread that wrote a batch, one closing the log or deleting a topic, one
     * failing a write). A producer's {@code flush()} there would wait for acknowledgements only this thread can make,
     * the callback's own append included (it is done only once its callback returns). The sync and writer threads
     * need no mark of their own: they run foreign code only through {@link #acknowledgeAll} and {@link #fail}.
     */
    static boolean acknowledging() {
        int[] depth = TELLING.get();
        return depth != null && depth[0] > 0;
    }

    /**
     * Marks this thread as telling appends their outcome until the caller's {@code finally} decrements the returned
     * counter; nests. The decrement is written inline there, not as a call: a callback that overflowed the stack
     * leaves the finally with little stack, and a call that overflowed there would leave the counter raised, so every
     * later {@code flush()} on the thread would be refused.
     */
    static int[] enterTelling() {
        int[] depth = TELLING.get();
        if (depth == null) {
            depth = new int[1];
            TELLING.set(depth);
        }
        depth[0]++;
        return depth;
    }

    /** Wakes the fsync=never writer to take over the queue; false if it is stopping (the caller writes itself). */
    private boolean handOff() {
        if (failure != null) {
            return false; // the writer may have died (see writeLoop): the caller's own drain refuses the batch
        }
        Thread w = writer;
        if (w == null) {
            w = startWriter();
            if (w == null) {
                return false;
            }
        }
        writerBusy = true;
        LockSupport.unpark(w);
        return true;
    }

    private synchronized @Nullable Thread startWriter() {
        if (writer == null && !stopWriter) {
            Thread t = Thread.ofPlatform().daemon().name("tributary-write-" + tp).unstarted(this::writeLoop);
            writer = t;
            t.start();
        }
        return stopWriter ? null : writer;
    }

    /**
     * The fsync=never writer thread: while batches are queued, write them all (one pwrite per MiB) and acknowledge
     * them; when the queue is empty, clear {@link #writerBusy} and park until the next hand-off. Clearing before the
     * last look at the queue is what makes the hand-off safe: an append either sees the writer busy (and the writer
     * then sees its batch) or sees it idle (and writes or hands off itself).
     */
    private void writeLoop() {
        try {
            writeLoopBody();
        } catch (Throwable t) {
            // As for the sync thread (see runSyncLoop): ending with writerBusy set left every later append only
            // queued, never written, and flush() and close() waited forever.
            TributaryException error = loopDied("The writer thread of partition " + tp, t);
            failure = error;
            writerBusy = false;
            try {
                drain(); // what was queued behind the busy mark fails with the same error
                LOG.log(System.Logger.Level.ERROR, error.getMessage(), t);
            } catch (Throwable ignored) {
                // out of memory again: the failure is set, so later appends are refused instead of waiting
            }
        }
    }

    private void writeLoopBody() {
        int spell = 0; // batches written since the writer last went idle
        while (true) {
            if (!queue.isEmpty()) {
                throwLoopFault();
                writerBusy = true;
                List<PendingAppend> acked;
                writeLock.lock();
                try {
                    acked = writeQueued();
                } finally {
                    writeLock.unlock();
                }
                spell += acked.size();
                acknowledgeAll(acked);
                continue;
            }
            if (spell == 1) {
                gatherBackoff = GATHER_PROBE_INTERVAL; // nothing gathered: the appender waits for each ack
            }
            spell = 0;
            writerBusy = false;
            if (!queue.isEmpty()) {
                continue;
            }
            if (stopWriter) {
                return;
            }
            LockSupport.parkNanos(this, 1_000_000_000L);
        }
    }

    /**
     * Why an append is refused now, or null: a deletion first, then the failure that stopped the partition, then close.
     */
    private @Nullable TributaryException rejection(boolean closingCounts) {
        if (deleted) {
            return new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + tp.topic() + "' was deleted while "
                    + "records were being appended to it; create it again with 'tributary log create-topic "
                    + tp.topic() + " --partitions N'.");
        }
        TributaryException f = failure;
        if (f != null) {
            // the error that stopped the partition says what went wrong (and its fix), which CLOSED would hide from
            // appends still queued, or arriving, when a failed partition is closed; reopening is the fix for both
            return f;
        }
        if (closed || closingCounts) {
            return new InvalidRequestException(ErrorCode.CLOSED, "The embedded log is closed; partition " + tp
                    + " accepts no more appends. Open the log again to append.");
        }
        return null;
    }

    /** Writes queued batches if no other thread is doing so (see the class comment). */
    private void drain() {
        while (!queue.isEmpty() && writeLock.tryLock()) {
            List<PendingAppend> acked;
            try {
                acked = writeQueued();
            } finally {
                writeLock.unlock();
            }
            acknowledgeAll(acked);
        }
    }

    /**
     * The batches of one write, reused by every {@link #writeQueued()} call: a new list per call (and its growth) was
     * garbage per append on a paced workload, where a call mostly writes one batch. Guarded by the write lock; empty
     * between calls (cleared at each round and at the end), so it keeps no batch alive.
     */
    private final ArrayList<PendingAppend> writeBatch = new ArrayList<>();

    /**
     * Writes everything queued (up to a few MiB per call so acks are not held back); caller holds the lock. Returns
     * the batches to acknowledge now: always none under fsync=always, whose sync thread acknowledges after its sync,
     * so the list is only made when there is one to add.
     */
    private List<PendingAppend> writeQueued() {
        List<PendingAppend> acked = List.of();
        ArrayList<PendingAppend> batch = writeBatch;
        for (int round = 0; round < 8 && !queue.isEmpty(); round++) {
            try {
                TributaryException reject = rejection(false);
                if (reject != null) {
                    PendingAppend p;
                    while ((p = queue.poll()) != null) {
                        failLater(p, reject);
                    }
                    break;
                }
                batch.clear();
                Segment seg = active;
                long next = nextOffset;
                int bytes = 0;
                PendingAppend p;
                while ((p = queue.peek()) != null) {
                    int len = p.batch.length;
                    if (!batch.isEmpty() && bytes + len > MAX_WRITE_BYTES) {
                        break;
                    }
                    if (needsRoll(seg, bytes, len, next + p.recordCount)) {
                        if (!batch.isEmpty()) {
                            break;
                        }
                        try {
                            roll();
                        } catch (IOException e) {
                            queue.poll();
                            // When the roll stopped the partition (or found it stopped by another fsync), this append
                            // gets the same error as every refusal after it: classifying `e` instead gave it another
                            // code when that error was wrapped (the roll's bare IOException naming another's failure
                            // made an AccessDeniedException a STORAGE_FAILURE here, DATA_DIR_NOT_WRITABLE later).
                            // A failed fsync (the roll's own, or another's it found) may have lost acknowledged records.
                            TributaryException f = failure;
                            failLater(p, f != null ? f : storageError("roll a new segment in " + dir, e,
                                    e instanceof Segment.TailCutFailure t ? t.sync : dataSyncFailed));
                            if (failure != null) {
                                // the roll stopped appends (its empty file may remain): nothing may be written past
                                // nextOffset, so not even the smaller batches of this round; the next round's
                                // rejection check fails them and the rest of the queue with the roll's error
                                break;
                            }
                            // roll() throws only before switching, but should it ever switch and throw, a later,
                            // smaller batch must not fit into the old, sealed segment at the new one's base offset
                            seg = active;
                            continue;
                        }
                        seg = active;
                    }
                    queue.poll();
                    p.baseOffset = next;
                    next += p.recordCount;
                    ByteBuffer.wrap(p.batch).putLong(BatchFormat.BASE_OFFSET, p.baseOffset);
                    batch.add(p);
                    bytes += len;
                }
                if (batch.isEmpty()) {
                    continue;
                }
                Runnable hook = afterTakingBatch;
                if (hook != null) {
                    hook.run();
                }
                long position = seg.size;
                seg.awaitFillPast(position + bytes);
                try {
                    writeAt(seg, batch, bytes, position);
                } catch (IOException e) {
                    TributaryException error = storageError("write " + bytes + " bytes to " + seg.file, e);
                    try {
                        seg.cutAt(position); // drop a partial write so the file ends on a whole batch
                    } catch (IOException ignored) {
                        failure = error; // cannot even restore the file's end: refuse further appends until reopened
                    }
                    for (PendingAppend b : batch) {
                        failLater(b, error);
                    }
                    batch.clear();
                    continue;
                }
                long pos = position;
                for (PendingAppend b : batch) {
                    seg.indexBatch(b.baseOffset, b.nextOffset(), b.maxTimestamp, pos, b.batch.length);
                    pos += b.batch.length;
                }
                seg.size = pos;
                nextOffset = next;
                if (durability instanceof Durability.Always) {
                    preallocate(seg, pos);
                    awaitingSync.addAll(batch);
                    batch.clear();
                    written = new WrittenMark(seg, next);
                    Thread s = syncer;
                    if (s != null && s != Thread.currentThread()) {
                        LockSupport.unpark(s);
                    }
                } else {
                    written = new WrittenMark(seg, next);
                    endOffset.accumulateAndGet(next, Math::max);
                    if (acked.isEmpty()) {
                        acked = new ArrayList<>(batch);
                    } else {
                        acked.addAll(batch);
                    }
                    batch.clear();
                    storage.signalChange();
                }
            } catch (Throwable t) {
                writeFailed(t, batch, acked);
                throw t;
            }
        }
        return acked;
    }

    /**
     * Something escaped a write (the storage's own code: e.g. out of memory). Batches taken off the queue but neither
     * handed to the sync thread nor returned would never be told (flush and close waited for them), and the segment's
     * end may not match what was written: fail them and the partition, as a dying sync thread does. Those of earlier
     * rounds were written and published: acknowledged. Told on other threads: no foreign code under the write lock.
     */
    private void writeFailed(Throwable t, ArrayList<PendingAppend> batch, List<PendingAppend> acked) {
        TributaryException error = loopDied("A write by " + Thread.currentThread().getName() + " to partition "
                + tp, t);
        failure = error;
        for (PendingAppend b : batch) {
            failLater(b, error);
        }
        batch.clear();
        if (!acked.isEmpty()) {
            List<PendingAppend> written = List.copyOf(acked);
            Thread.ofVirtual().start(() -> acknowledgeAll(written));
        }
    }

    /**
     * Starts a fill of {@code seg} if less than half of the stretch it should have is zero-filled past {@code end}, its
     * end (see the class comment); caller holds the write lock. The stretch is as long as the segment already is,
     * from {@link #FIRST_FILL} up to {@link #preallocateBytes}: a partition that writes little keeps little disk in
     * zeros, a busy one the whole setting. Never past {@code segment.bytes}: the segment rolls there.
     */
    private void preallocate(Segment seg, long end) {
        if (preallocateBytes == 0) {
            return;
        }
        long ahead = Math.min(preallocateBytes, Math.max(FIRST_FILL, end));
        long zeroed = seg.zeroedEnd;
        if (zeroed - end >= ahead / 2) {
            return;
        }
        boolean first = zeroed <= end; // nothing zero-filled ahead: a new or reopened segment, or appends overtook a fill
        long from = alignUp(first ? end + FILL_GAP : zeroed);
        long limit = Math.min(end + ahead, segmentBytes);
        long to = Math.min(first ? from + FIRST_FILL : limit, limit) / FILL_ALIGN * FILL_ALIGN;
        if (to > from) {
            seg.startFill(from, to, storage.fills(), (f, t, cause, syncFailed) -> fillFailed(seg, f, t, cause,
                    syncFailed));
        }
    }

    /**
     * Only the zeros failed (e.g. the disk is full): appends go on, on a growing file (slower syncs), and report their
     * own errors; bytes the fill did write past the end are a zero tail recovery skips. The segment tries again once
     * the appends have passed where the fill started. Logged as a WARNING the first time per partition (a file system
     * that refuses every fill should be visible, not a DEBUG line per MiB). A fill whose fsync failed other than for
     * a full disk is not such a failure: that error may concern the file's data pages too, so the partition stops.
     */
    private void fillFailed(Segment seg, long from, long to, Throwable cause, boolean syncFailed) {
        if (syncFailed && cause instanceof IOException io) {
            // The fill's fdatasync covers the whole file, so its failure may concern the appended records' pages, not
            // just the zeros. It runs on its own open file, outside syncLock (a fill's fsync can be long, and the
            // sync thread must not wait for it): Linux reports the failed write-back to the partition's channel too,
            // except after Segment.reopen replaced that channel, whose fsyncs are then never told. So it stops the
            // partition here, as any other failed fsync of its data does.
            TributaryException error;
            syncLock.lock();
            try {
                error = failure;
                if (error == null) {
                    error = storageError("sync " + seg.file + " (preallocating it from byte " + from + ")", io, true);
                    failure = error;
                }
                dataSyncFailed = true; // after failure: the sync thread reads it to fail what waits (see syncLoop)
            } finally {
                syncLock.unlock();
            }
            LOG.log(System.Logger.Level.ERROR, "partition " + tp + " stopped: " + error.getMessage());
            return;
        }
        boolean first = !fillFailureLogged;
        fillFailureLogged = true;
        System.Logger.Level level = first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        LOG.log(level, () -> "partition " + tp + ": preallocating " + seg.file + " from byte " + from + " to " + to
                + " failed: " + cause + ". Appends go on without it"
                + " (each sync then also commits the file's growth) and the next fill is tried once the appends pass"
                + " byte " + from + "; to stop preallocating set " + EmbeddedLogConfig.SEGMENT_PREALLOCATE_BYTES
                + "=0" + (first ? "" : " (further failures of this partition are logged at DEBUG)"));
    }

    private static long alignUp(long position) {
        return (position + FILL_ALIGN - 1) / FILL_ALIGN * FILL_ALIGN;
    }

    private void failLater(PendingAppend p, TributaryException e) {
        // Failing completes futures, which runs user callbacks; run them on a virtual thread so no foreign code runs
        // inside the writer's critical section.
        Thread.ofVirtual().start(() -> fail(p, e));
    }

    private void writeAt(Segment seg, List<PendingAppend> batch, int bytes, long position) throws IOException {
        ByteBuffer pooled = bytes <= MAX_WRITE_BYTES && batch.size() > 1 ? storage.borrowWriteBuffer() : null;
        if (pooled != null) {
            try {
                ByteBuffer buf = pooled.clear();
                for (PendingAppend b : batch) {
                    buf.put(b.batch);
                }
                seg.write(buf.flip(), position);
            } finally {
                storage.returnWriteBuffer(pooled);
            }
        } else {
            long pos = position;
            for (PendingAppend b : batch) {
                seg.write(ByteBuffer.wrap(b.batch), pos);
                pos += b.batch.length;
            }
        }
    }

    /** Whether a batch of {@code len} bytes must go to a new segment ({@code pending} bytes are gathered already). */
    private boolean needsRoll(Segment seg, int pending, int len, long nextAfter) {
        long used = seg.size + pending;
        return used > 0 && (used + len > segmentBytes || nextAfter - seg.baseOffset >= Integer.MAX_VALUE);
    }

    /**
     * Closes the active segment (synced, indexes written) and starts a new one; caller holds the write lock. Throws only
     * before the new segment is active: once it is, failing would leave the caller writing on with the old, sealed
     * segment, whose end is now the new segment's base offset. So the recovery point written afterwards is best-effort:
     * if it fails, the older point stays (recovery then scans more segments, which is safe) and the next checkpoint or
     * roll writes a current one.
     */
    private void roll() throws IOException {
        Runnable before = beforeRoll;
        if (before != null) {
            before.run();
        }
        Segment old = active;
        // Before the sync lock, not in cutTail under it: stopping fills waits for a running fill's fsync and its
        // read-back of the zeros, and waiting without syncLock lets the sync thread finish the fsync it is in (and
        // acknowledge what it covered). No more than that: this roll still holds the write lock through the wait,
        // and the sync thread takes the write lock at the start of each cycle, so its next cycle waits for the fill
        // too. Fills stop for good, so none starts before the cut, and cutTail's own stopFills then returns at once.
        old.stopFills();
        boolean otherSyncFailed;
        syncLock.lock();
        try {
            old.cutTail(); // synced before the next segment exists: only the last segment may end in zeros
            Runnable hook = duringRollTailSync;
            if (hook != null) {
                hook.run();
            }
            IOException fault = rollTailSyncFault;
            rollTailSyncFault = null;
            if (fault != null) {
                throw fault;
            }
            otherSyncFailed = dataSyncFailed;
        } catch (IOException e) {
            // As after the sync thread's failed fsync: the page cache may have dropped what was written, and a later
            // sync that succeeds would not prove otherwise, so the partition refuses appends until it is reopened
            // (the caller fails the rest of the queue with this error) instead of writing on past data it cannot
            // vouch for.
            failure = tailCutError(old, e);
            dataSyncFailed = true; // after failure: the sync thread reads it to fail what waits (see syncLoop)
            throw e;
        } finally {
            syncLock.unlock();
        }
        if (otherSyncFailed) {
            // Another fsync of this partition (the sync thread's, a checkpoint's) failed after the caller checked for
            // a failure: ours succeeding proves nothing about what that one may have dropped, so no new segment and
            // no recovery point saying the old one is durable. The caller refuses the rest with `failure`.
            throw new IOException("an fsync of partition " + tp + " failed before this roll could sync " + old.file
                    + " (" + failure + ")");
        }
        old.seal();
        Segment s;
        try {
            IOException fault = rollCreateFault;
            rollCreateFault = null;
            s = Segment.create(dir, nextOffset, indexIntervalBytes, fault);
        } catch (IOException e) {
            // Appends go on in the old segment past nextOffset. An empty <nextOffset>.log left behind would make
            // recovery, after a later roll, take nextOffset as the old segment's end and drop every record written
            // after it. create() deletes its file when it fails; make sure, and if the file cannot be deleted, stop
            // appending: with nothing written past nextOffset, the stray file is a valid, empty last segment. The
            // delete is synced now, not left to a later folder sync: the create may have failed on a folder sync,
            // after which a later sync that succeeds does not prove earlier changes reached the disk. A delete that
            // cannot be made durable counts as failed: after a crash the file may be back.
            Path stray = Segment.logFile(dir, nextOffset);
            boolean strayDeleted = false;
            try {
                Files.deleteIfExists(stray);
                strayDeleted = true;
                IOException syncFault = rollStraySyncFault;
                rollStraySyncFault = null;
                if (syncFault != null) {
                    throw syncFault;
                }
                AtomicFiles.syncDirectory(dir);
            } catch (IOException deleteFailed) {
                e.addSuppressed(deleteFailed);
                // say which step failed: an operator seeing the file gone would otherwise doubt the message
                String step = strayDeleted
                        ? "nor make durable the delete of the empty " + stray + " it left (the folder sync failed: "
                        : "nor delete the empty " + stray + " it left (";
                failure = storageError("roll a new segment, " + step + deleteFailed + "), so partition " + tp
                        + " accepts no more appends: a record written"
                        + " to the old segment at offset " + nextOffset + " or later would be dropped by recovery."
                        + " Fix the disk and reopen the log (the empty file, if there, is then the last segment)",
                        e);
            }
            throw e;
        }
        segments.put(s.baseOffset, s);
        active = s;
        synchronized (recoveryPointLock) {
            try {
                IOException fault = rollCheckpointFault;
                if (fault != null) {
                    rollCheckpointFault = null;
                    throw fault;
                }
                new RecoveryCheckpoint(nextOffset, s.baseOffset, 0).writeTo(dir);
                checkpointedOffset = nextOffset;
            } catch (IOException e) {
                // checkpointedOffset stays: it must never claim a point that is not on disk
                LOG.log(System.Logger.Level.WARNING, "partition " + tp + ": rolled to " + s.file + " but could not"
                        + " write " + dir.resolve(RecoveryCheckpoint.FILE_NAME) + " (" + e + "); appends go on in the"
                        + " new segment, the older recovery point stays (the next open checks more segments) and the"
                        + " next checkpoint writes it again. Check the disk holding " + dir + ".");
            }
        }
    }

    /** The error of a failed {@link Segment#cutTail}, naming the step that failed (see {@link Segment.TailCutFailure}). */
    private TributaryException tailCutError(Segment seg, IOException e) {
        return e instanceof Segment.TailCutFailure f ? storageError(f.what, f.io(), f.sync)
                : storageError("sync " + seg.file, e, true);
    }

    private TributaryException storageError(String what, IOException e) {
        return storageError(what, e, false);
    }

    /**
     * The error a failed storage operation reports, classified by its cause (disk full, not writable, other).
     *
     * @param syncFailed whether {@code e} is a failed fsync of this partition's data. Under {@code fsync=never} or
     *                   {@code interval} records are acknowledged once written, before any fsync, and a failed fsync
     *                   may have dropped them from the page cache: the error must not say acknowledged records are
     *                   intact then. Under {@code always} only synced records were acknowledged, so they are.
     */
    TributaryException storageError(String what, IOException e, boolean syncFailed) { // package-private: tests
        // classified, and described, by the underlying error: a failed step of a roll's tail cut may arrive wrapped,
        // and its error must carry the code and words the partition's refusals after it carry
        IOException cause = e instanceof Segment.TailCutFailure f ? f.io() : e;
        String msg = String.valueOf(cause.getMessage());
        // Known gap, left as is: this reads the fsync mode now, not the modes the records were acknowledged under. A
        // topic switched from never/interval to always at runtime can still hold records acknowledged unsynced before
        // the switch, and a failed fsync then calls them intact. Getting it right means remembering the offset at
        // which the mode last became always and comparing it with the last successful sync.
        String acknowledged = syncFailed && !(durability instanceof Durability.Always)
                ? "records acknowledged since the partition's last successful sync may be lost (fsync=never and "
                        + "fsync=interval acknowledge a record once written, and the failed fsync may have dropped it "
                        + "from the page cache): once reopened, read the partition's end to see which are there"
                : "acknowledged records are intact";
        if (msg.contains("No space left") || msg.contains("Disk quota") || msg.contains("File too large")) {
            return new RetriableException(LogErrors.DISK_FULL, "Could not " + what + ": the disk is full or a "
                    + "file-size limit was reached (" + msg
                    + "). Free space on the disk holding " + dir + " (e.g. lower retention.ms/retention.bytes); "
                    + acknowledged + ".", e);
        }
        if (cause instanceof java.nio.file.AccessDeniedException || msg.contains("Permission denied")
                || msg.contains("Read-only file system")) {
            return new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Could not " + what + ": " + msg
                    + ". Make " + dir + " writable; " + acknowledged + ".", e);
        }
        return new RetriableException(ErrorCode.STORAGE_FAILURE, "Could not " + what + ": " + cause
                + ". Check the disk holding " + dir + "; " + acknowledged + ".", e);
    }

    // ------------------------------------------------------------------------------------------------ sync

    /**
     * The sync thread. Under {@code fsync=always} it runs a cycle: write everything queued (one pwrite per MiB),
     * fdatasync, acknowledge, repeat. While a cycle runs ({@link #syncerBusy}), appending threads only queue their
     * batches, so under load all writing and syncing happens here in large batches and producers just encode; when
     * idle, the next appending thread writes its batch itself and wakes this thread, so a lone append waits for one
     * write and one sync.
     */
    private void syncLoop(WrittenMark alreadySynced) {
        WrittenMark synced = alreadySynced;
        ArrayList<PendingAppend> done = syncedBatch;
        while (true) {
            throwLoopFault();
            Durability d = durability;
            if (d instanceof Durability.Always) {
                syncerBusy = true;
                List<PendingAppend> acked;
                writeLock.lock();
                try {
                    acked = writeQueued();
                } finally {
                    writeLock.unlock();
                }
                acknowledgeAll(acked); // only if the mode changed under us
            }
            WrittenMark m = written;
            if (m == synced || m == null) {
                syncerBusy = false;
                if (!queue.isEmpty()) {
                    drain(); // queued after our last write while we were still marked busy
                    continue;
                }
                if (stopSyncer) {
                    return;
                }
                if (d instanceof Durability.Interval iv) {
                    LockSupport.parkNanos(this, iv.intervalMs() * 1_000_000L);
                } else {
                    LockSupport.parkNanos(this, 1_000_000_000L);
                }
                continue;
            }
            Runnable hook = beforeSync;
            if (hook != null) {
                hook.run();
            }
            // The fsync and the reading of the flag take turns with other fsyncs of this partition (see syncLock);
            // failing or acknowledging batches comes after, so no foreign code runs under the lock.
            IOException syncError = null;
            boolean otherSyncFailed;
            syncLock.lock();
            try {
                try {
                    IOException fault = syncFault;
                    if (fault != null) {
                        syncFault = null;
                        throw fault;
                    }
                    m.segment().force(false);
                } catch (IOException e) {
                    syncError = e;
                    if (!(e instanceof ClosedChannelException)) {
                        // after a failed fsync the page cache may have dropped the data: stop accepting
                        failure = storageError("sync " + m.segment().file, e, true);
                        dataSyncFailed = true;
                    }
                }
                otherSyncFailed = dataSyncFailed;
            } finally {
                syncLock.unlock();
            }
            if (syncError instanceof ClosedChannelException e) {
                if (deleted) {
                    // The topic's files are gone (markDeleted closed them while this thread was slow to stop): what
                    // this sync should have covered never will be durable, so it fails; it used to be acknowledged.
                    failAwaiting(Long.MAX_VALUE, rejection(false));
                    synced = m;
                    continue;
                }
                // Closed for good: either the log closed (this thread outlived close()'s wait for it), or the segment
                // was rolled (roll() synced it) and later removed by retention. A closed log's active segment was
                // synced only if close() cut its tail: not when the partition had failed, the cut threw, or the log
                // was abandoned; acknowledging its batches then told appends that never were synced they were.
                if (m.segment() == active && !(closed && tailSynced)) {
                    TributaryException error = closed ? closedUnsynced(m, e)
                            : storageError("sync " + m.segment().file, e);
                    if (!closed) {
                        failure = error;
                    }
                    failAwaiting(Long.MAX_VALUE, error);
                    synced = m;
                    continue;
                }
            }
            if (otherSyncFailed) {
                // This fsync failed, or another's (a roll's) did after these batches were written: this one
                // succeeding does not prove they reached the disk (the failed one may have dropped them from the page
                // cache), so they fail with that error instead of being acknowledged.
                failAwaiting(Long.MAX_VALUE, failure);
                synced = m;
                continue;
            }
            synced = m;
            PendingAppend p;
            while ((p = awaitingSync.peek()) != null && p.nextOffset() <= m.endOffset()) {
                awaitingSync.poll();
                done.add(p);
            }
            if (endOffset.get() < m.endOffset()) {
                endOffset.accumulateAndGet(m.endOffset(), Math::max);
                storage.signalChange();
            }
            acknowledgeAll(done);
            done.clear();
            if (d instanceof Durability.Interval iv && !stopSyncer) {
                LockSupport.parkNanos(this, iv.intervalMs() * 1_000_000L);
            }
        }
    }

    /**
     * Fails the batches waiting for a sync. Only the sync thread, or a thread that saw it end, may call this: it takes
     * from {@link #awaitingSync} by peek then poll, as the sync thread does, so two at once could tell one batch
     * twice (releasing its budget twice) and another never.
     */
    private void failAwaiting(long upTo, TributaryException e) {
        PendingAppend p;
        while ((p = awaitingSync.peek()) != null && p.nextOffset() <= upTo) {
            awaitingSync.poll();
            fail(p, e);
        }
    }

    /**
     * The sync thread's body. Should anything still escape the loop (the acknowledgements are guarded, so only the
     * storage's own code, e.g. out of memory), the thread must not end with {@link #syncerBusy} set and batches
     * waiting: every later append would only queue and every flush, close and durable wait would hang. So the
     * partition fails as after a failed fsync: what waits is failed and further appends are refused until reopened.
     */
    private void runSyncLoop(WrittenMark alreadySynced) {
        try {
            syncLoop(alreadySynced);
        } catch (Throwable t) {
            TributaryException error = loopDied("The sync thread of partition " + tp, t);
            failure = error;
            syncerBusy = false;
            try {
                // An appending thread that read no refusal before `failure` was set may be writing under the lock: it
                // hands its batches to awaitingSync before releasing it. Failing them only after taking the lock means
                // none is left there for a thread that no longer exists (flush and close waited for them forever).
                writeLock.lock();
                writeLock.unlock();
                for (PendingAppend p : syncedBatch) {
                    fail(p, error); // taken off awaitingSync, never told
                }
                syncedBatch.clear();
                failAwaiting(Long.MAX_VALUE, error);
                drain(); // what was queued behind the busy mark fails with the same error
                LOG.log(System.Logger.Level.ERROR, error.getMessage(), t);
            } catch (Throwable ignored) {
                // out of memory again: the failure is set, so later appends are refused instead of waiting
            }
        }
    }

    private TributaryException closedUnsynced(WrittenMark m, ClosedChannelException e) {
        TributaryException f = failure;
        return f != null ? f : new RetriableException(ErrorCode.STORAGE_FAILURE, "Partition " + tp + " was closed "
                + "before its appends up to offset " + m.endOffset() + " were synced (" + m.segment().file + "); they "
                + "may be lost. Open the log again and read the partition's end to see which are there; acknowledged "
                + "records are intact.", e);
    }

    /** The error a partition fails with after {@code what} (naming the partition) stopped on {@code t}. */
    private TributaryException loopDied(String what, Throwable t) {
        return new RetriableException(ErrorCode.STORAGE_FAILURE, what + " stopped on " + t + "; its unwritten and unsynced appends failed and it accepts no more. Close and "
                + "reopen the log to append again (acknowledged records are intact).", t);
    }

    private void throwLoopFault() {
        Error e = loopFault;
        if (e != null) {
            loopFault = null;
            throw e;
        }
    }

    /**
     * Test support: the sync thread, or the fsync=never writer thread once it has batches to write, throws {@code e}
     * at the top of its next cycle, as an error the storage's own code cannot handle (e.g. out of memory) would.
     */
    void injectLoopFault(Error e) {
        loopFault = e;
        Thread s = syncer;
        if (s != null) {
            LockSupport.unpark(s);
        }
    }

    /** Test support: whether some thread holds {@link #syncLock}. */
    boolean syncLockHeld() {
        return syncLock.isLocked();
    }

    /** Test support: whether the sync thread is waiting for {@link #syncLock} (another fsync holds it). */
    boolean syncThreadWaitsForSyncLock() {
        Thread s = syncer;
        return s != null && syncLock.hasQueuedThread(s);
    }

    /** The error that stopped the partition (it refuses appends until reopened), if any; the cleaner reports it. */
    @Nullable TributaryException failure() {
        return failure;
    }

    /** Test support: the sync thread, if started. */
    @Nullable Thread syncThread() {
        return syncer;
    }

    /**
     * Acknowledges each batch; one whose acknowledgement throws (foreign code: a future's dependants, a callback)
     * must not leave the others untold nor end the thread doing it, which may be the sync or writer thread.
     */
    private void acknowledgeAll(List<PendingAppend> acked) {
        if (acked.isEmpty()) {
            return;
        }
        int[] depth = enterTelling();
        try {
            for (int i = 0, n = acked.size(); i < n; i++) {
                PendingAppend p = acked.get(i);
                try {
                    p.acknowledge();
                } catch (Throwable t) {
                    escaped(t, "acknowledgement");
                }
            }
        } finally {
            depth[0]--; // inline, not a call: see enterTelling
        }
    }

    private void fail(PendingAppend p, TributaryException e) {
        int[] depth = enterTelling();
        try {
            p.fail(e);
        } catch (Throwable t) {
            escaped(t, "failure");
        } finally {
            depth[0]--; // inline, not a call: see enterTelling
        }
    }

    private void escaped(Throwable t, String what) {
        try {
            LOG.log(System.Logger.Level.WARNING, "partition " + tp + ": an append's " + what + " threw " + t
                    + "; ignored, the other appends are told as usual", t);
        } catch (Throwable ignored) {
            // out of memory even to log: the other appends must still be told
        }
    }

    // ------------------------------------------------------------------------------------------------ read

    long startOffset() {
        return segments.firstKey();
    }

    long endOffset() {
        return endOffset.get();
    }

    long sizeInBytes() {
        long s = 0;
        for (Segment seg : segments.values()) {
            s += seg.size;
        }
        return s;
    }

    List<LogRecord> read(long offset, int maxRecords, long maxBytes) {
        return read(offset, maxRecords, new long[]{maxBytes});
    }

    /** {@link #read(long, int, long)} with the budget in {@code bytesLeft[0]}, less the bytes of what it returns. */
    List<LogRecord> read(long offset, int maxRecords, long[] bytesLeft) {
        long budget = bytesLeft[0];
        for (int attempt = 0; ; attempt++) {
            try {
                bytesLeft[0] = budget;   // a failed attempt may have counted records it does not return
                return readOnce(offset, maxRecords, bytesLeft);
            } catch (java.nio.channels.ClosedByInterruptException e) {
                Thread.currentThread().interrupt();
                throw new RetriableException(ErrorCode.TIMEOUT, "The read of " + tp + " at offset " + offset
                        + " was interrupted; read again.", e);
            } catch (ClosedChannelException e) {
                // a segment was swapped by compaction or deleted by retention under us; look it up again
                if (attempt >= 3 || closed) {
                    throw new InvalidRequestException(ErrorCode.CLOSED, "Partition " + tp + " was closed during a read; open the log again.");
                }
            } catch (IOException e) {
                throw storageError("read " + tp + " at offset " + offset, e);
            }
        }
    }

    private List<LogRecord> readOnce(long offset, int maxRecords, long[] bytesLeft) throws IOException {
        long end = endOffset.get();
        long start = startOffset();
        if (offset < start || offset > end) {
            throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Offset " + offset + " is outside partition "
                    + tp + ", which holds offsets " + start + " to " + end + " (end exclusive); seek to an offset in that "
                    + "range, or to the beginning or end.");
        }
        List<LogRecord> out = new ArrayList<>(Math.min(maxRecords, 256));
        if (offset == end) {
            return out;
        }
        long cur = offset;
        while (cur < end && out.size() < maxRecords) {
            Map.Entry<Long, Segment> e = segments.floorEntry(cur);
            if (e == null) {
                e = segments.firstEntry();
            }
            Segment seg = e.getValue();
            if (readSegment(seg, cur, end, maxRecords, bytesLeft, out)) {
                break;
            }
            Map.Entry<Long, Segment> next = segments.higherEntry(seg.baseOffset);
            if (next == null) {
                break;
            }
            cur = Math.max(cur, next.getKey());
            if (!out.isEmpty()) {
                cur = Math.max(cur, out.get(out.size() - 1).offset() + 1);
            }
        }
        return out;
    }

    /** Reads records of {@code seg} from {@code from}; true if a limit stopped it. */
    private boolean readSegment(Segment seg, long from, long end, int maxRecords, long[] bytesLeft,
                                List<LogRecord> out) throws IOException {
        long indexed = seg.offsetIndex.floorPosition((int) Math.max(0, from - seg.baseOffset));
        if (indexed == 0) {
            return readSegmentFrom(seg, 0, from, end, maxRecords, bytesLeft, out);
        }
        int before = out.size();
        long budgetBefore = bytesLeft[0];
        try {
            return readSegmentFrom(seg, indexed, from, end, maxRecords, bytesLeft, out);
        } catch (CorruptionException e) {
            // the index is only a hint: before blaming the data, read the segment from its first batch, with the
            // records decoded from the bad entry taken back out and their bytes put back on the budget
            while (out.size() > before) {
                out.remove(out.size() - 1);
            }
            bytesLeft[0] = budgetBefore;
            return readSegmentFrom(seg, 0, from, end, maxRecords, bytesLeft, out);
        }
    }

    private boolean readSegmentFrom(Segment seg, long startPos, long from, long end, int maxRecords, long[] bytesLeft,
                                    List<LogRecord> out) throws IOException {
        long limit = seg.size;
        long pos = startPos;
        long want = out.isEmpty() ? from : out.get(out.size() - 1).offset() + 1;
        ByteBuffer buf = null;
        // First read: the gap from the index entry (about one index interval) plus what the limits let through,
        // so a consumer at the tail copies a few KiB, not a whole chunk; later reads grow to READ_CHUNK.
        long firstGuess = 2L * indexIntervalBytes + Math.min(bytesLeft[0], 256L * (maxRecords - out.size()));
        int next = (int) Math.min(READ_CHUNK, Math.max(4096, firstGuess));
        while (pos < limit) {
            int chunk = (int) Math.min(limit - pos, Math.max(next, buf == null ? 0 : buf.capacity()));
            next = READ_CHUNK;
            if (buf == null || buf.capacity() < chunk) {
                buf = readBuffer(chunk);
            }
            buf.clear().limit(chunk);
            seg.read(buf, pos);
            int got = buf.position();
            int at = 0;
            while (at + BatchFormat.LOG_OVERHEAD <= got) {
                int size = BatchFormat.batchSize(buf, at);
                if (size < BatchFormat.HEADER_SIZE || pos + at + size > limit) {
                    throw corrupt(seg, pos + at, want, "a batch length of " + (size - BatchFormat.LOG_OVERHEAD));
                }
                if (at + size > got) {
                    if (at == 0) {
                        buf = ByteBuffer.allocate(size); // one batch larger than the chunk
                    }
                    break;
                }
                long batchNext = BatchFormat.nextOffset(buf, at);
                if (batchNext > want) {
                    if (!BatchFormat.isValid(buf, at, size)) {
                        throw corrupt(seg, pos + at, BatchFormat.baseOffset(buf, at),
                                "a batch whose checksum (CRC-32C) does not match its contents");
                    }
                    if (BatchFormat.baseOffset(buf, at) >= end) {
                        return true;
                    }
                    if (BatchFormat.decode(buf, at, tp.topic(), tp.partition(), want, end, maxRecords, bytesLeft, out)) {
                        return true;
                    }
                    want = Math.max(want, batchNext);
                }
                at += size;
            }
            if (at == 0) {
                if (buf.capacity() > chunk) {
                    continue; // re-read the large batch into the bigger buffer
                }
                throw corrupt(seg, pos, want, "a partial batch at the end of the readable data");
            }
            pos += at;
        }
        return false;
    }

    /** A heap buffer of at least {@code size} bytes: the thread's reused one when it is big enough (see {@link #READ_BUFFER}). */
    private static ByteBuffer readBuffer(int size) {
        if (Thread.currentThread().isVirtual() || size > READ_CHUNK) {
            return ByteBuffer.allocate(size);
        }
        ByteBuffer b = READ_BUFFER.get();
        if (b == null) {
            b = ByteBuffer.allocate(READ_CHUNK);
            READ_BUFFER.set(b);
        }
        return b;
    }

    private CorruptionException corrupt(Segment seg, long position, long offset, String problem) {
        return new CorruptionException(ErrorCode.CORRUPT_DATA, "Partition " + tp + ": " + seg.file + " at byte "
                + position + " (near offset " + offset + ") holds " + problem + ". Stop the application, back up the "
                + "data folder, and reopen with repair (tributary.log.embedded.repair=true) only if that segment is the "
                + "last one; otherwise restore the partition from a backup or a replica.");
    }

    OptionalLong offsetForTimestamp(long timestamp) {
        try {
            long end = endOffset.get();
            for (Segment seg : segments.values()) {
                if (seg.maxTimestamp < timestamp) {
                    continue;
                }
                int rel = seg.timeIndex.scanStartForTimestamp(timestamp);
                long pos = seg.offsetIndex.floorPosition(rel);
                long limit = seg.size;
                ByteBuffer header = ByteBuffer.allocate(BatchFormat.HEADER_SIZE);
                while (pos < limit) {
                    header.clear();
                    seg.read(header, pos);
                    int size = BatchFormat.batchSize(header, 0);
                    if (BatchFormat.baseOffset(header, 0) >= end) {
                        return OptionalLong.empty();
                    }
                    if (BatchFormat.maxTimestamp(header, 0) >= timestamp) {
                        ByteBuffer b = ByteBuffer.allocate(size);
                        seg.read(b, pos);
                        for (BatchFormat.RecordView v : BatchFormat.views(b, 0)) {
                            if (v.timestamp() >= timestamp && v.offset() < end) {
                                return OptionalLong.of(v.offset());
                            }
                        }
                    }
                    pos += size;
                }
            }
            return OptionalLong.empty();
        } catch (IOException e) {
            throw storageError("search " + tp + " by timestamp", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ maintenance

    /** Makes everything written so far durable and records it as the recovery point (periodic; cheap if idle). */
    void checkpoint() throws IOException {
        Segment seg = null;
        long size = 0;
        long next = 0;
        writeLock.lock();
        try {
            if (!(closed || deleted || nextOffset == checkpointedOffset)) {
                seg = active;
                size = seg.size;
                next = nextOffset;
            }
        } finally {
            writeLock.unlock();
        }
        // Whoever held the write lock must drain after releasing it, on every path: an append whose tryLock failed
        // while we held it left its batch queued for us, and nobody else would write it.
        drain();
        if (seg == null) {
            return;
        }
        syncLock.lock(); // see syncLock: this fsync must not take a failure that was another's, nor miss one
        try {
            try {
                IOException fault = checkpointSyncFault;
                if (fault != null) {
                    checkpointSyncFault = null;
                    throw fault;
                }
                seg.force(false);
            } catch (ClosedChannelException e) {
                throw e; // closed for good (the log closing, the topic deleted): their own paths say what is durable
            } catch (IOException e) {
                // As after the sync thread's failed fsync: the page cache may have dropped written data, and a later
                // fsync that succeeds would not prove otherwise, so neither this checkpoint nor a later one may
                // write a recovery point past it (recovery would then trust bytes that never reached the disk), and
                // batches waiting for the sync thread must not be acknowledged: the partition stops.
                failure = storageError("sync " + seg.file, e, true);
                dataSyncFailed = true;
                throw e;
            }
            if (dataSyncFailed) {
                return; // an earlier fsync failed: this one succeeding proves nothing; the older recovery point stays
            }
        } finally {
            syncLock.unlock();
        }
        Runnable hook = beforeCheckpointWrite;
        if (hook != null) {
            hook.run();
        }
        synchronized (recoveryPointLock) {
            // A roll or close may have written a later point since we looked (ours would move it back), and the
            // topic may have been deleted: its folder is being removed, and a temp file written now left it behind.
            if (closed || deleted || checkpointedOffset >= next) {
                return;
            }
            new RecoveryCheckpoint(next, seg.baseOffset, size).writeTo(dir);
            checkpointedOffset = next;
        }
    }

    /**
     * Deletes closed segments past {@code retention.ms} (by their newest record) or beyond {@code retention.bytes}
     * (oldest first, never going below the limit). If every record of the active segment has expired it is rolled
     * first, so an idle partition can expire completely. Returns how many segments were deleted. A segment whose file
     * cannot be moved aside stays and ends the pass (logged as a warning, not thrown, so the cleaner still compacts
     * and checkpoints the partition); a later pass retries it.
     */
    int applyRetention(long nowMs) throws IOException {
        TopicConfig c = config;
        if (!c.cleanupPolicy().contains(io.tributary.log.CleanupPolicy.DELETE)) {
            return 0;
        }
        long retentionMs = c.retentionMs();
        long retentionBytes = c.retentionBytes();
        if (retentionMs >= 0) {
            Segment a = active;
            if (a.size > 0 && a.maxTimestamp >= 0 && a.maxTimestamp < nowMs - retentionMs) {
                List<PendingAppend> acked = List.of();
                Throwable rollFailed = null;
                try {
                    writeLock.lock();
                    try {
                        if (active == a && a.size > 0 && !closed && !deleted) {
                            acked = writeQueued(); // never roll with unwritten batches queued
                            roll();
                        }
                    } finally {
                        writeLock.unlock();
                    }
                } catch (Throwable t) {
                    rollFailed = t;
                    throw t;
                } finally {
                    // Also when roll() throws: the batches were written, and under fsync=never nothing else would
                    // ever tell them (flush and close would wait forever); what queued meanwhile is written or,
                    // if the roll stopped appends, refused. After the unlock: no foreign code under the write lock.
                    acknowledgeAll(acked);
                    try {
                        drain();
                    } catch (Throwable t) {
                        if (rollFailed == null) {
                            throw t;
                        }
                        rollFailed.addSuppressed(t); // the roll's error says what stopped retention: keep it
                    }
                }
            }
        }
        int deletedCount = 0;
        long total = sizeInBytes();
        while (segments.size() > 1) {
            Segment oldest = segments.firstEntry().getValue();
            if (oldest == active) {
                break;
            }
            boolean byTime = retentionMs >= 0 && oldest.maxTimestamp < nowMs - retentionMs;
            boolean bySize = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
            if (!byTime && !bySize) {
                break;
            }
            Segment next = segments.higherEntry(oldest.baseOffset).getValue();
            if (next.baseOffset > endOffset.get()) {
                break; // never delete past what readers may see
            }
            try {
                retire(oldest); // takes it out of the partition, unless its file cannot be moved (then throws)
            } catch (IOException e) {
                // Not thrown on: the cleaner runs retention, compaction and the checkpoint of a partition in one
                // step, so a move that keeps failing would stop this partition's recovery point from ever advancing.
                // Stopping here deletes nothing past the stuck segment (that would leave a gap behind its file).
                LOG.log(System.Logger.Level.WARNING, "Retention could not move " + oldest.file + " of " + tp
                        + " aside to delete it (" + e + "); it keeps the segment and deletes nothing newer until a "
                        + "later pass can. Fix: make the folder writable and remove whatever occupies "
                        + oldest.file.getFileName() + ".deleted.");
                break;
            }
            total -= oldest.size;
            deletedCount++;
            LOG.log(System.Logger.Level.DEBUG, () -> "Retention deleted " + oldest.file + " of " + tp);
        }
        if (deletedCount > 0) {
            storage.signalChange();
        }
        return deletedCount;
    }

    /**
     * Takes the oldest segment out of the partition and removes its files now; its channel closes on the next
     * maintenance pass so in-flight reads finish. If its file cannot be moved aside, nothing changes and this throws:
     * the segment used to be taken out first, so a failed move left its file on disk while the next pass deleted the
     * segment after it, and the reopened partition had a gap behind the old file (an open that failed as corrupt).
     * Once the file is moved, the segment is gone whatever else fails: deleting the rest is best effort (logged), and
     * an open deletes a {@code .deleted} file or index files left behind.
     */
    void retire(Segment s) throws IOException {
        Path dead = s.file.resolveSibling(s.file.getFileName() + ".deleted");
        Files.move(s.file, dead, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        segments.remove(s.baseOffset, s);
        synchronized (retired) {
            retired.add(s);
        }
        // Best effort from here: the segment is gone, so a throw would only skip the caller's count and its
        // signalChange (readers waiting on the new start offset) over files an open deletes anyway (a .deleted file,
        // index files with no segment file).
        for (Path leftover : List.of(s.indexFile(), s.timeIndexFile(), dead)) {
            try {
                Files.deleteIfExists(leftover);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Retention removed segment " + s.file + " of " + tp
                        + " but could not delete " + leftover + " (" + e + "); the next open of the log deletes it.");
            }
        }
    }

    /** Closes channels retired on an earlier pass (readers had a whole cleaner interval to finish). */
    void closeRetired() {
        synchronized (retired) {
            for (Segment s : retired) {
                s.close();
            }
            retired.clear();
        }
    }

    /** Closed segments, oldest first (for the compactor). */
    List<Segment> closedSegments() {
        List<Segment> out = new ArrayList<>();
        Segment a = active;
        for (Segment s : segments.values()) {
            if (s != a) {
                out.add(s);
            }
        }
        return out;
    }

    /** Swaps in a compacted segment (the compactor already renamed its file into place). */
    void replaceSegment(Segment old, Segment cleaned) {
        segments.put(cleaned.baseOffset, cleaned);
        synchronized (retired) {
            retired.add(old);
        }
    }

    /** Test support: holds the write lock so appends queue up unwritten (call both on one thread). */
    void pauseWrites() {
        writeLock.lock();
    }

    void resumeWrites() {
        writeLock.unlock();
        drain();
    }

    int indexIntervalBytes() {
        return indexIntervalBytes;
    }

    // ------------------------------------------------------------------------------------------------ close

    /** Writes what is queued, syncs, writes the indexes and a clean recovery point, closes files. */
    void close() {
        if (closed) {
            return;
        }
        closing = true;
        List<PendingAppend> acked;
        writeLock.lock();
        try {
            acked = writeQueued();
            closed = true;
        } finally {
            writeLock.unlock();
        }
        acknowledgeAll(acked);
        drain(); // appends that raced with close fail (CLOSED, or the partition's failure) instead of waiting forever
        stopSyncer();
        Thread s = syncer;
        if (s != null && !s.isAlive() && !awaitingSync.isEmpty()) {
            // the sync thread died leaving batches it never synced (e.g. its failure handler itself ran out of memory)
            failAwaiting(Long.MAX_VALUE, failure != null ? failure : rejection(true));
        }
        writeLock.lock();
        try {
            Segment a = active;
            if (failure == null && !deleted) {
                Runnable hook = beforeCloseTailCut;
                if (hook != null) {
                    hook.run();
                }
                a.stopFills(); // outside the sync lock, as in roll: waiting for a running fill must not hold it
                boolean otherSyncFailed;
                syncLock.lock(); // a sync thread that outlived stopSyncer's wait may still be syncing: see syncLock
                try {
                    a.cutTail(); // a clean close leaves no zero tail: the file's length is the partition's end
                    // Read again under the lock, as a roll does: that sync thread's fsync may have failed since
                    // `failure` was checked, and ours succeeding then proves nothing about what it may have dropped.
                    otherSyncFailed = dataSyncFailed;
                } catch (IOException e) {
                    failure = tailCutError(a, e);
                    dataSyncFailed = true; // that sync thread must not acknowledge what this fsync may have dropped
                    throw e;
                } finally {
                    syncLock.unlock();
                }
                if (otherSyncFailed) {
                    // no clean recovery point (the next open checks the last segment), and not tailSynced: the
                    // sync thread must not take this close's fsync as covering its batches
                    throw new IOException("an fsync of partition " + tp + " failed while it was closing ("
                            + failure + ")");
                }
                tailSynced = true;
                synchronized (recoveryPointLock) {
                    new RecoveryCheckpoint(nextOffset, a.baseOffset, a.size).writeTo(dir);
                    checkpointedOffset = nextOffset;
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not write a clean recovery point for " + tp + " (" + e
                    + "); the next open will check its last segment.");
        } finally {
            writeLock.unlock();
        }
        closeSegments();
        closeRetired();
    }

    /** Test support: stops without syncing, writing indexes or a recovery point, as a crash would. */
    void abandon() {
        closed = true;
        stopSyncer();
        closeSegments();
        closeRetired();
    }

    /** The topic is being deleted: fail what is queued and release the files. */
    void markDeleted() {
        synchronized (recoveryPointLock) {
            // under the lock: a checkpoint writing now finishes before the folder is deleted, a later one sees this
            deleted = true;
        }
        writeLock.lock();
        try {
            writeQueued();
        } finally {
            writeLock.unlock();
        }
        drain(); // anything queued meanwhile fails with TOPIC_NOT_FOUND
        stopSyncer();
        Thread s = syncer;
        if (s == null || !s.isAlive()) {
            failAwaiting(Long.MAX_VALUE, rejection(false));
        }
        // else the sync thread outlived the join's wait: it fails them itself, its sync finding the files closed
        closeSegments();
        closeRetired();
    }

    /** Stops the sync thread and the fsync=never writer thread (after it wrote or failed what is queued). */
    private void stopSyncer() {
        stopSyncer = true;
        stopWriter = true;
        join(syncer);
        synchronized (this) {
            join(writer); // under the monitor so no writer starts after this
        }
    }

    private void join(@Nullable Thread t) {
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(stopWaitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeSegments() {
        for (Segment s : segments.values()) {
            s.close();
        }
    }
}
