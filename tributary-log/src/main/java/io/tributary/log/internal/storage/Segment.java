package io.tributary.log.internal.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One segment of a partition: a data file {@code <baseOffset>.log} (20 digits) of {@link BatchFormat batches} with
 * its {@link SegmentIndex offset index} and {@link SegmentIndex time index}.
 *
 * <p><b>The end is {@link #size}, not the file's length.</b> The active segment of an {@code fsync=always} partition
 * is preallocated: zeros are written and synced ahead of the writer ({@link #startFill}) so that an append's fdatasync
 * overwrites allocated blocks instead of growing the file, which would also commit the new length and extents to the
 * file system's journal. So the file may end in zeros: a zero batchLength where a batch should start marks the
 * preallocated tail (see {@link BatchFormat}). Recovery takes the first such position of the <em>last</em> segment of
 * an {@code fsync=always} partition as its end when every byte from there to the end of the file is zero and the
 * file's length is a multiple of {@link #FILL_ALIGN} ({@link #scan(boolean)}), and cuts the zeros off;
 * a roll and a clean close cut the tail too ({@link #cutTail()}), so a closed segment's file length is its end.
 *
 * <p>Thread-safety: the partition's writer appends and updates {@link #size}, {@link #nextOffset} and
 * {@link #maxTimestamp} (all volatile, published after the bytes are in the file); readers read concurrently up to
 * {@link #size}. At most one fill is reserved or running at a time, on the storage's fill threads; it writes only at
 * or above {@link #fillFrom}, which only grows while it runs, and the writer waits ({@link #awaitFillPast}) rather
 * than write there.
 */
final class Segment {

    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";

    final long baseOffset;
    final Path file;
    /**
     * The open file. FileChannel is interruptible: an I/O call on a thread that gets interrupted closes the channel
     * for every thread. So the methods below reopen it when that happens ({@link #reopen}) instead of letting one
     * interrupted consumer or producer break the partition; only {@link #close()} closes it for good.
     */
    volatile FileChannel channel;
    private volatile boolean closedForGood;
    volatile long size;
    volatile long nextOffset;
    volatile long maxTimestamp = -1;
    volatile SegmentIndex offsetIndex = SegmentIndex.emptyOffsets();
    volatile SegmentIndex timeIndex = SegmentIndex.emptyTimes();
    private final int indexIntervalBytes;
    private long bytesSinceIndex = Long.MAX_VALUE / 2;
    /**
     * File bytes below this are data or zeros that a completed fill ({@link #startFill}) wrote and synced: appends there change
     * no file-system metadata. Only grows, except when the file is cut ({@link #cutAt}).
     */
    volatile long zeroedEnd;
    /** While a fill runs, it writes zeros at and above this position (only grows); {@code Long.MAX_VALUE} otherwise. */
    private volatile long fillFrom = Long.MAX_VALUE;
    /** Whether a fill is reserved or runs; guarded by {@code this}. */
    private boolean filling;
    /**
     * Bumped to make a running fill stop at its next chunk (a cut, a close) and to mark a reserved one that has not
     * started as released; guarded by {@code this}.
     */
    private int fillGeneration;
    /** No more fills: the segment was rolled or is closing. */
    private volatile boolean fillsStopped;
    /**
     * After a failed fill (e.g. the disk is full), the next is tried only once the end passes where it started, so a
     * failing fill is not retried on every append.
     */
    private volatile long nextFillAt;
    /** Zeros written per call by a fill; the writer waits for at most one such write when it catches up with a fill. */
    static final int FILL_CHUNK = 1 << 20;

    private Segment(long baseOffset, Path file, FileChannel channel, long size, int indexIntervalBytes) {
        this.baseOffset = baseOffset;
        this.file = file;
        this.channel = channel;
        this.size = size;
        this.nextOffset = baseOffset;
        this.indexIntervalBytes = indexIntervalBytes;
    }

    static String fileStem(long baseOffset) {
        String digits = Long.toString(baseOffset); // not String.format: it loads locale data, slowing the first append
        return "0".repeat(20 - digits.length()) + digits;
    }

    static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(fileStem(baseOffset) + LOG_SUFFIX);
    }

    static Segment create(Path dir, long baseOffset, int indexIntervalBytes) throws IOException {
        return create(dir, baseOffset, indexIntervalBytes, null);
    }

    /**
     * Creates an empty segment file {@code <baseOffset>.log} (and drops stale index files of that base). If any step
     * fails, the channel is closed and the file deleted (best effort; a failed delete is added as suppressed) before
     * the error is thrown: an empty {@code <baseOffset>.log} left behind sits between the previous segment and the
     * next, and recovery would then take {@code baseOffset} as the previous segment's end although appends went on in
     * it past that offset (see {@code PartitionLog.roll}).
     *
     * @param faultAfterOpen test support: thrown once the file is open, as a failed truncate or folder sync would
     */
    static Segment create(Path dir, long baseOffset, int indexIntervalBytes, @Nullable IOException faultAfterOpen)
            throws IOException {
        Path file = logFile(dir, baseOffset);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            if (faultAfterOpen != null) {
                throw faultAfterOpen;
            }
            ch.truncate(0);
            Files.deleteIfExists(indexFile(dir, baseOffset));
            Files.deleteIfExists(timeIndexFile(dir, baseOffset));
            AtomicFiles.syncDirectory(dir);
        } catch (IOException | RuntimeException | Error e) {
            try {
                ch.close();
            } catch (IOException closeFailed) {
                e.addSuppressed(closeFailed);
            }
            try {
                Files.deleteIfExists(file);
            } catch (IOException deleteFailed) {
                e.addSuppressed(deleteFailed);
            }
            throw e;
        }
        return new Segment(baseOffset, file, ch, 0, indexIntervalBytes);
    }

    static Segment open(Path file, long baseOffset, int indexIntervalBytes) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new Segment(baseOffset, file, ch, ch.size(), indexIntervalBytes);
    }

    static Path indexFile(Path dir, long base) {
        return dir.resolve(fileStem(base) + INDEX_SUFFIX);
    }

    static Path timeIndexFile(Path dir, long base) {
        return dir.resolve(fileStem(base) + TIME_INDEX_SUFFIX);
    }

    Path indexFile() {
        return indexFile(file.getParent(), baseOffset);
    }

    Path timeIndexFile() {
        return timeIndexFile(file.getParent(), baseOffset);
    }

    /** Records a batch just written at {@code position} in the indexes (writer only). */
    void indexBatch(long batchBase, long batchNext, long batchMaxTs, long position, int length) {
        int rel = (int) (batchBase - baseOffset);
        if (bytesSinceIndex >= indexIntervalBytes) {
            offsetIndex.appendOffset(rel, (int) position);
            bytesSinceIndex = 0;
            if (batchMaxTs > timeIndex.lastTimestamp() && batchMaxTs >= maxTimestamp) {
                timeIndex.appendTime(batchMaxTs, rel);
            }
        }
        bytesSinceIndex += length;
        if (batchMaxTs > maxTimestamp) {
            maxTimestamp = batchMaxTs;
        }
        lastBatchRel = rel;
        nextOffset = batchNext;
    }

    private int lastBatchRel;
    /** Test support: run by each fill once its zeros are written, before its fsync. */
    volatile @Nullable Runnable beforeFillSync;
    /** Test support: thrown once by the next fill in place of its fsync, as a failed one. */
    volatile @Nullable IOException fillSyncFault;
    /** Test support: thrown once by the next {@link #cutTail} in place of its fsync, as a failed one. */
    volatile @Nullable IOException tailSyncFault;
    /** Test support: thrown once by the next {@link #seal} once half of the offset index's bytes are written. */
    volatile @Nullable IOException sealFault;

    /**
     * Writes both indexes to their files and maps them read-only (the segment is closed for appends). A final time
     * entry records the segment's largest timestamp, which retention reads after a restart.
     *
     * <p>Each file is written to a temp file, synced, and renamed over the old one, then the folder is synced once,
     * never rewritten in place: a write that failed or a crash in the middle of an in-place write left a torn file,
     * which the load checks reject only if it ends inside an entry or in zeros, not if it was cut between entries (a
     * time index missing its last entries understates the segment's newest timestamp, so retention would delete it
     * early). Also, a segment is sealed again when the roll that sealed it failed, and its indexes are then memory
     * maps of the very files being replaced, read by consumers: a rename leaves the mapped file intact, where an
     * in-place rewrite truncated it first and a read in that window faulted. That second point follows from how
     * mappings work; no test holds a reader in the window (IndexRewriteTest covers the failed write).
     */
    void seal() throws IOException {
        if (maxTimestamp > timeIndex.lastTimestamp()) {
            timeIndex.appendTime(maxTimestamp, lastBatchRel);
        }
        IOException fault = sealFault;
        sealFault = null;
        Path offsets = AtomicFiles.writeTemp(indexFile(), offsetIndex.encode(), fault);
        Path times = AtomicFiles.writeTemp(timeIndexFile(), timeIndex.encode(), null);
        // Two renames, not one atomic step: a failure (or crash) between them leaves the new offset index beside the
        // old time index, or beside none. Harmless, because PartitionLog.open trusts index files only of segments
        // that are not the last (it scans the last one and rebuilds its indexes from the data), and no such segment
        // can hold a stale time index: a roll whose seal throws creates no next segment (the next roll seals again,
        // both files); compaction deleted the old pair before sealing the new file (a missing time index fails the
        // load, and the open rebuilds both); and an open re-seals a closed segment whose data does not change, so
        // its old time index, if it passed the load checks, describes the same records.
        AtomicFiles.replace(offsets, indexFile());
        AtomicFiles.replace(times, timeIndexFile());
        AtomicFiles.syncDirectory(file.getParent());
        long sz = size;
        SegmentIndex.load(indexFile(), false, sz).ifPresent(i -> offsetIndex = i);
        SegmentIndex.load(timeIndexFile(), true, sz).ifPresent(i -> timeIndex = i);
    }

    /** Loads the index files of a closed segment; false if missing or failing the sanity checks. */
    boolean loadIndexes(long knownNextOffset) {
        Optional<SegmentIndex> idx = SegmentIndex.load(indexFile(), false, size);
        Optional<SegmentIndex> tidx = SegmentIndex.load(timeIndexFile(), true, size);
        if (idx.isEmpty() || tidx.isEmpty() || (size > 0 && idx.get().count() == 0)) {
            return false;
        }
        offsetIndex = idx.get();
        timeIndex = tidx.get();
        maxTimestamp = tidx.get().lastTimestamp();
        nextOffset = knownNextOffset;
        return true;
    }

    /**
     * Reads {@code dst.remaining()} bytes (or up to the end of the file) at {@code position}. If the calling thread
     * is interrupted, the channel is reopened for others and the {@link ClosedByInterruptException} is thrown.
     */
    void read(ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            FileChannel ch = channel;
            int n;
            try {
                n = ch.read(dst, pos);
            } catch (ClosedByInterruptException e) {
                reopen(ch);
                throw e;
            } catch (ClosedChannelException e) {
                if (closedForGood) {
                    throw e;
                }
                reopen(ch); // another thread's interrupt closed it under us
                continue;
            }
            if (n < 0) {
                break;
            }
            pos += n;
        }
    }

    /**
     * Writes all of {@code src} at {@code position}. An interrupt of the writing thread does not fail the write
     * (other producers' batches are in it): the interrupt is held back, the channel reopened, the write finished,
     * and the interrupt restored.
     */
    void write(ByteBuffer src, long position) throws IOException {
        boolean interrupted = false;
        long pos = position;
        try {
            while (src.hasRemaining()) {
                FileChannel ch = channel;
                try {
                    pos += ch.write(src, pos);
                } catch (ClosedChannelException e) {
                    if (closedForGood) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    reopen(ch);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** fdatasync ({@code force(false)}) or fsync; survives another thread's interrupt as {@link #write} does. */
    void force(boolean metadata) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                FileChannel ch = channel;
                try {
                    ch.force(metadata); // syncs the file, so data written through an earlier descriptor too
                    return;
                } catch (ClosedChannelException e) {
                    if (closedForGood) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    reopen(ch);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    long fileSize() throws IOException {
        return Files.size(file);
    }

    private synchronized void reopen(FileChannel broken) throws IOException {
        if (closedForGood) {
            throw new ClosedChannelException();
        }
        if (channel == broken) {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    /**
     * What a scan of the data found: the end of the valid batches, and either the problem found there or, if
     * {@code zeroTail}, that every byte from there to the end of the file is zero (a preallocated tail).
     */
    record ScanResult(long validEnd, long nextOffset, long maxTimestamp, @Nullable String problem, boolean zeroTail) {
    }

    /**
     * Walks every batch from the start, checking length, magic, version, CRC and offset continuity (the first batch
     * must start at {@code baseOffset}), and rebuilds both indexes from what it read. Stops at the first invalid batch.
     * If {@code mayBePreallocated}, the file's length is a multiple of {@link #FILL_ALIGN} (where every fill ends) and
     * every byte from there to the end of the file is zero, that is the preallocated tail (no problem,
     * {@code zeroTail}). Otherwise zeros are reported like any invalid batch: the caller passes false for a segment
     * that is not the last (a roll cuts the tail off before the next segment exists) and for partitions that are not
     * {@code fsync=always}, whose zeros can be acknowledged records a power loss took (the file's new length
     * committed, its data pages not).
     */
    ScanResult scan(boolean mayBePreallocated) throws IOException {
        offsetIndex = SegmentIndex.emptyOffsets();
        timeIndex = SegmentIndex.emptyTimes();
        bytesSinceIndex = Long.MAX_VALUE / 2;
        maxTimestamp = -1;
        nextOffset = baseOffset;
        long fileSize = fileSize();
        long pos = 0;
        long expected = baseOffset;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long bufStart = 0;
        int bufLen = 0;
        String problem = null;
        while (pos < fileSize) {
            if (fileSize - pos < BatchFormat.LOG_OVERHEAD) {
                problem = "a partial batch header of " + (fileSize - pos) + " bytes";
                break;
            }
            if (pos + BatchFormat.LOG_OVERHEAD > bufStart + bufLen) {
                bufLen = fill(buf, pos, fileSize);
                bufStart = pos;
            }
            int lengthField = buf.getInt((int) (pos - bufStart) + BatchFormat.LENGTH);
            long batchSize = BatchFormat.LOG_OVERHEAD + (long) lengthField;
            if (lengthField < BatchFormat.HEADER_SIZE - BatchFormat.LOG_OVERHEAD || pos + batchSize > fileSize) {
                problem = lengthField == 0 ? "zero bytes where a batch should start"
                        : "a batch length of " + lengthField + " that runs past the end of the file (" + fileSize + " bytes)";
                break;
            }
            if (pos + batchSize > bufStart + bufLen) {
                if (batchSize > buf.capacity()) {
                    buf = ByteBuffer.allocate((int) batchSize);
                }
                bufLen = fill(buf, pos, fileSize);
                bufStart = pos;
            }
            int at = (int) (pos - bufStart);
            if (!BatchFormat.isValid(buf, at, (int) batchSize)) {
                problem = "a batch whose checksum (CRC-32C) or structure does not match its contents";
                break;
            }
            long base = BatchFormat.baseOffset(buf, at);
            if (base != expected) {
                problem = "a batch with base offset " + base + " where offset " + expected + " was expected";
                break;
            }
            long next = BatchFormat.nextOffset(buf, at);
            indexBatch(base, next, BatchFormat.maxTimestamp(buf, at), pos, (int) batchSize);
            expected = next;
            pos += batchSize;
        }
        size = pos;
        boolean zeroTail = false;
        if (problem != null && mayBePreallocated && fileSize % FILL_ALIGN == 0 && zerosFrom(pos, fileSize)) {
            problem = null;
            zeroTail = true;
        }
        return new ScanResult(pos, expected, maxTimestamp, problem, zeroTail);
    }

    /**
     * How many bytes at the end of the file, at or after {@code from}, are zero: of a cut tail, those that held no
     * data (a preallocated tail, or pages a crash never wrote).
     */
    long trailingZeros(long from) throws IOException {
        long fileSize = fileSize();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.max(1, Math.min(FILL_CHUNK, fileSize - from)));
        long end = fileSize;
        while (end > from) {
            long start = Math.max(from, end - buf.capacity());
            int n = fill(buf, start, end);
            if (n < end - start) {
                return 0; // the file shrank under us
            }
            for (int i = n - 1; i >= 0; i--) {
                if (buf.get(i) != 0) {
                    return fileSize - (start + i + 1);
                }
            }
            end = start;
        }
        return fileSize - from;
    }

    /** Whether every byte of the file in {@code [from, fileSize)} is zero. */
    private boolean zerosFrom(long from, long fileSize) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(FILL_CHUNK, Math.max(8, fileSize - from)));
        long pos = from;
        while (pos < fileSize) {
            int n = fill(buf, pos, fileSize);
            if (n == 0) {
                return false; // the file shrank under us: not the tail we were asked about
            }
            int i = 0;
            for (; i + 8 <= n; i += 8) {
                if (buf.getLong(i) != 0) {
                    return false;
                }
            }
            for (; i < n; i++) {
                if (buf.get(i) != 0) {
                    return false;
                }
            }
            pos += n;
        }
        return true;
    }

    private int fill(ByteBuffer buf, long pos, long fileSize) throws IOException {
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), fileSize - pos));
        read(buf, pos);
        return buf.position();
    }

    /** Cuts the file at {@code position} and syncs it. */
    void truncate(long position) throws IOException {
        cutAt(position);
        force(true);
        size = position;
    }

    /**
     * Stops preallocating for good and cuts the zero tail off (synced), so the file's length is the segment's end
     * again; just syncs if there is no tail. For a roll and a clean close (caller holds the partition's write lock).
     */
    void cutTail() throws IOException {
        IOException fault = tailSyncFault;
        tailSyncFault = null;
        stopFills();
        long end = size;
        long length;
        try {
            length = fileSize();
        } catch (IOException e) {
            throw new TailCutFailure("read the length of " + file, false, e);
        }
        if (length > end) {
            try {
                cutAt(end);
            } catch (IOException e) {
                throw new TailCutFailure("cut the preallocated tail of " + file + " at byte " + end, false, e);
            }
            try {
                if (fault != null) {
                    throw fault;
                }
                force(true); // fsync, not fdatasync: the new length is what must be durable
            } catch (IOException e) {
                throw new TailCutFailure("sync " + file + " (after cutting its preallocated tail)", true, e);
            }
        } else {
            try {
                if (fault != null) {
                    throw fault;
                }
                force(false);
            } catch (IOException e) {
                throw new TailCutFailure("sync " + file, true, e);
            }
        }
    }

    /**
     * A failed step of {@link #cutTail}: {@link #what} names it and the file ("sync ...", "cut the preallocated tail
     * of ..."), so the error a roll or close reports says which step failed, not always "sync". The message and cause
     * are the underlying error's (callers classify it, e.g. a full disk, by them).
     */
    static final class TailCutFailure extends IOException {
        final String what;
        /** Whether the fsync failed (it may have dropped written data), not a step before it. */
        final boolean sync;

        TailCutFailure(String what, boolean sync, IOException cause) {
            super(cause.getMessage(), cause);
            this.what = what;
            this.sync = sync;
        }

        /** The underlying error. */
        IOException io() {
            return (IOException) getCause();
        }

        /** Read where the roll's own error quotes it: the step, then the underlying error. */
        @Override
        public String toString() {
            return "failed to " + what + ": " + getCause();
        }
    }

    /**
     * Cuts the file at {@code position} (after a failed write, or in recovery), reopening once if an interrupt closed
     * it. A running fill is stopped first so it cannot write zeros past the cut.
     */
    void cutAt(long position) throws IOException {
        cancelFill();
        zeroedEnd = Math.min(zeroedEnd, position);
        FileChannel ch = channel;
        try {
            ch.truncate(position);
        } catch (ClosedChannelException e) {
            if (closedForGood) {
                throw e;
            }
            boolean interrupted = Thread.interrupted();
            reopen(ch);
            try {
                channel.truncate(position);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ preallocation

    /**
     * Fill boundaries are multiples of this (a page), so the zeros can bypass the page cache (O_DIRECT needs aligned
     * I/O), and a preallocated file's length is always a multiple of it: recovery takes trailing zeros as a
     * preallocated tail only then ({@link #scan}).
     */
    static final long FILL_ALIGN = 4096;
    /** Alignment of the shared zero buffer; O_DIRECT is used only on file systems whose block size divides it. */
    private static final int ZERO_ALIGN = 64 * 1024;
    private static final int WARM_CHUNK = 256 * 1024;
    /**
     * The zeros every fill writes and the buffer every read-back ({@link #warm}) reads into: allocated once for the
     * process, not per fill, so a fill needs no direct memory (under direct-memory pressure an allocation per fill
     * would run a full GC and fail on every append). The zeros are read-only; the read-back bytes are never looked
     * at, so fills on several threads may read into the same memory.
     */
    private static volatile @Nullable ByteBuffer sharedZeros;
    private static volatile @Nullable ByteBuffer sharedSink;
    /**
     * File stores that refused an O_DIRECT write although they allowed the open (e.g. an alignment larger than the
     * block size they report): later fills there write through the page cache straight away.
     */
    private static final java.util.Set<java.nio.file.FileStore> DIRECT_REFUSED =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * This segment's file store and block size, looked up once by the first fill (the lookup reads the mount table),
     * on the fill's thread; null until then, or if the lookup failed.
     */
    private volatile java.nio.file.@Nullable FileStore store;
    private volatile int storeBlockSize;
    /** Whether a fill's task started running (else {@link #filling} is a reservation only); guarded by {@code this}. */
    private boolean fillStarted;

    /**
     * How a fill that failed reports it, on the fill's thread and outside the segment's monitor: after the segment
     * released the fill, except a failed fsync ({@code syncFailed}), which is reported before, so that
     * {@link #stopFills} returns only once it was recorded.
     */
    interface FillFailure {
        /**
         * @param syncFailed whether the fill's fsync failed for a reason other than a full disk, which puts the
         *                   file's other unsynced pages in doubt too
         */
        void failed(long from, long to, Throwable cause, boolean syncFailed);
    }

    /**
     * Reserves a fill of {@code [from, to)} ({@code from} at or past {@link #size}, so never over data) and hands it
     * to {@code fills}; false if a fill is reserved or running, fills were stopped, or a failed fill asked to wait
     * until the end passes where it started. The caller holds the partition's write lock, so no append is between
     * its check of {@link #awaitFillPast} and its write while the reservation is made.
     *
     * <p>A reservation always has a runner or is released: if {@code fills} refuses the task (or throws anything,
     * e.g. an {@link OutOfMemoryError} "unable to create native thread"), the reservation is released, a waiting
     * writer woken, {@code onFailure} told, and the next fill waits until the end passes {@code from}. A reserved
     * fill whose task has not started yet is released by a cut or close ({@link #cancelFill}, {@link #stopFills})
     * without waiting for it.
     */
    boolean startFill(long from, long to, java.util.concurrent.Executor fills, FillFailure onFailure) {
        int generation;
        synchronized (this) {
            if (filling || fillsStopped || closedForGood || from < size || size < nextFillAt || to <= from) {
                return false;
            }
            filling = true;
            fillStarted = false;
            fillFrom = from;
            generation = fillGeneration;
        }
        try {
            fills.execute(() -> runFill(generation, from, to, onFailure));
        } catch (Throwable t) {
            synchronized (this) {
                if (generation == fillGeneration && filling && !fillStarted) {
                    nextFillAt = from;
                    // execute() may have queued the task before it threw (ThreadPoolExecutor queues, then fails to
                    // start a worker): a new generation makes that task a no-op if it ever runs, so it can never
                    // write zeros over appends made after this release.
                    fillGeneration++;
                    releaseReservation();
                }
            }
            onFailure.failed(from, to, t, false);
        }
        return true;
    }

    /**
     * The fill reserved by {@link #startFill}: writes zeros over {@code [from, to)} in {@link #FILL_CHUNK} writes,
     * syncs them, then reads them back so their pages are cached (an append into a page that is not cached would
     * first read it from disk). Runs on the storage's fill threads, never the writer's.
     *
     * <p>The zeros bypass the page cache (O_DIRECT) where the file system allows it: an fdatasync flushes every dirty
     * page of the file, so buffered zeros would be flushed by the next append's sync, adding megabytes to it. Where
     * O_DIRECT is refused, at open or at the first write (e.g. tmpfs, where syncs cost nothing anyway), the zeros are
     * written buffered. Once the last chunk is written the writer may write anywhere ({@link #fillFrom} is released
     * before the sync and the read-back, which write nothing). Stops early, leaving {@link #zeroedEnd} as it was, if
     * a cut or close intervenes. A failure (any {@link Throwable}) makes the next fill wait until the end passes
     * {@code from}, and is handed to {@code onFailure}.
     */
    private void runFill(int generation, long from, long to, FillFailure onFailure) {
        synchronized (this) {
            if (generation != fillGeneration || !filling) {
                return; // cut, closed or refused before it ran: the reservation was released then
            }
            fillStarted = true;
        }
        Throwable failure = null;
        boolean syncFailed = false;
        try {
            long end = writeZeros(generation, from, to);
            if (end >= 0) {
                warm(generation, from, end);
                synchronized (this) {
                    if (fillGeneration == generation && !fillsStopped) {
                        zeroedEnd = Math.max(zeroedEnd, end);
                    }
                }
            }
        } catch (FillSyncException e) {
            failure = e.getCause();
            syncFailed = !isDiskFull(e.getCause());
        } catch (Throwable t) {
            failure = t;
        } finally {
            synchronized (this) {
                if (failure != null) {
                    nextFillAt = from; // before the fill counts as ended, so no append starts the same failing fill
                }
            }
            if (syncFailed) {
                // Told before the fill counts as ended: a roll or close waits for it in stopFills and then reads the
                // partition's failure; told after, that check could come first, and the roll then created the next
                // segment (a close wrote a clean recovery point) past data the failed fsync may have dropped. Outside
                // this monitor, as onFailure takes the partition's sync lock, which cutTail holds while it takes the
                // monitor; roll and close wait here without that lock. The writer does not wait meanwhile (the last
                // chunk set fillFrom past everything).
                try {
                    onFailure.failed(from, to, failure, true);
                } finally {
                    synchronized (this) {
                        fillStarted = false;
                        releaseReservation();
                    }
                }
            } else {
                synchronized (this) {
                    fillStarted = false;
                    releaseReservation();
                }
            }
        }
        if (failure != null && !syncFailed) {
            onFailure.failed(from, to, failure, false);
        }
    }

    /** Thrown by {@link #writeZeros} when the fill's fsync failed; the cause is the I/O error. */
    private static final class FillSyncException extends IOException {
        FillSyncException(IOException cause) {
            super(cause);
        }
    }

    /** Writes and syncs the zeros; the end reached, or -1 if a cut or close stopped the fill. */
    private long writeZeros(int generation, long from, long to) throws IOException {
        int align = directAlignment();
        FileChannel direct = align > 0 && from % align == 0 && to % align == 0 ? openDirect() : null;
        FileChannel out = direct != null ? direct : FileChannel.open(file, StandardOpenOption.WRITE);
        try {
            ByteBuffer zeros = zeros();
            long pos = from;
            while (pos < to) {
                if (stale(generation)) {
                    return -1;
                }
                int n = (int) Math.min(FILL_CHUNK, to - pos);
                try {
                    writeFully(out, zeros, n, pos);
                } catch (IOException e) {
                    if (out != direct || !directRefused(e)) {
                        throw e;
                    }
                    // O_DIRECT allowed at open but refused at write (e.g. EINVAL: an alignment the file system did
                    // not report): write buffered from here on, and skip O_DIRECT on this file store from now on
                    java.nio.file.FileStore s = store;
                    if (s != null) {
                        DIRECT_REFUSED.add(s);
                    }
                    out = FileChannel.open(file, StandardOpenOption.WRITE);
                    direct.close();
                    writeFully(out, zeros, n, pos);
                }
                pos += n;
                fillFrom = pos; // the writer may now write below pos
                synchronized (this) {
                    notifyAll();
                }
            }
            synchronized (this) {
                // no more writes: a writer that caught up need not wait for the sync and the read-back
                fillFrom = Long.MAX_VALUE;
                notifyAll();
            }
            Runnable hook = beforeFillSync;
            if (hook != null) {
                hook.run();
            }
            try {
                IOException fault = fillSyncFault;
                if (fault != null) {
                    fillSyncFault = null;
                    throw fault;
                }
                out.force(false); // commits the new length and extents once, for the whole fill
            } catch (IOException e) {
                throw new FillSyncException(e);
            }
            return pos;
        } finally {
            out.close();
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer zeros, int n, long position) throws IOException {
        zeros.clear().limit(n);
        long at = position;
        while (zeros.hasRemaining()) {
            at += ch.write(zeros, at);
        }
    }

    /**
     * Whether a failed O_DIRECT write was refused for its alignment (EINVAL from the kernel, or the JDK's own check
     * against the block size it found), not failed for a reason a buffered write would meet too (a full disk, EIO).
     */
    private static boolean directRefused(IOException e) {
        String m = e.getMessage();
        return !(e instanceof ClosedChannelException) && m != null
                && (m.contains("Invalid argument") || m.contains("block size"));
    }

    private static boolean isDiskFull(Throwable e) {
        String m = e.getMessage();
        return m != null && (m.contains("No space left") || m.contains("Disk quota exceeded"));
    }

    private synchronized boolean stale(int generation) {
        return fillGeneration != generation || fillsStopped;
    }

    /** Releases the reserved or running fill and wakes its waiters; caller holds {@code this}. */
    private void releaseReservation() {
        filling = false;
        fillFrom = Long.MAX_VALUE;
        notifyAll();
    }

    private static ByteBuffer zeros() {
        ByteBuffer z = sharedZeros;
        if (z == null) {
            synchronized (Segment.class) {
                z = sharedZeros;
                if (z == null) {
                    z = ByteBuffer.allocateDirect(FILL_CHUNK + ZERO_ALIGN).alignedSlice(ZERO_ALIGN).asReadOnlyBuffer();
                    sharedZeros = z;
                }
            }
        }
        return z.duplicate();
    }

    private static ByteBuffer sink() {
        ByteBuffer b = sharedSink;
        if (b == null) {
            synchronized (Segment.class) {
                b = sharedSink;
                if (b == null) {
                    b = ByteBuffer.allocateDirect(WARM_CHUNK);
                    sharedSink = b;
                }
            }
        }
        return b.duplicate();
    }

    /**
     * The alignment O_DIRECT writes need here (the larger of a page and the file system's block size), or 0 if the
     * zeros must go through the page cache: the block size is unknown or larger than the shared buffer's alignment,
     * or the file store refused an O_DIRECT write before. Looked up once per segment.
     */
    private int directAlignment() {
        java.nio.file.FileStore s = store;
        if (s == null) {
            try {
                s = Files.getFileStore(file);
                long bs = s.getBlockSize();
                storeBlockSize = bs > 0 && bs <= ZERO_ALIGN ? (int) Math.max(FILL_ALIGN, bs) : 0;
                store = s;
            } catch (IOException | UnsupportedOperationException e) {
                return 0;
            }
        }
        return DIRECT_REFUSED.contains(s) ? 0 : storeBlockSize;
    }

    /** A channel writing around the page cache, if the file system allows it. */
    private @Nullable FileChannel openDirect() {
        try {
            return FileChannel.open(file, StandardOpenOption.WRITE, com.sun.nio.file.ExtendedOpenOption.DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * Reads {@code [from, to)} through the page cache, so appends there find their pages cached (clean). Stops when
     * the fill is cancelled, so a cut or close waits for at most one read.
     */
    private void warm(int generation, long from, long to) throws IOException {
        ByteBuffer buf = sink();
        long pos = from;
        while (pos < to && !stale(generation)) {
            buf.clear().limit((int) Math.min(buf.capacity(), to - pos));
            read(buf, pos);
            int n = buf.position();
            if (n <= 0) {
                break;
            }
            pos += n;
        }
    }

    /**
     * Waits until no reserved or running fill can write below {@code end}, the end of the bytes the writer is about
     * to write (writer only, under the partition's write lock). Returns at once unless the writer caught up with a
     * running fill's chunks; never waits for a fill's sync or read-back. A reserved fill that has not started yet
     * (its task waits behind other partitions' fills) is released instead of waited for: this write then grows the
     * file as without preallocation, and the writer reserves a fresh fill after it.
     */
    void awaitFillPast(long end) {
        if (fillFrom >= end) {
            return; // fillFrom only grows while a fill runs, and a new fill starts only under the write lock we hold
        }
        boolean interrupted = false;
        synchronized (this) {
            if (filling && !fillStarted && fillFrom < end) {
                fillGeneration++; // its task finds the generation changed and does nothing
                releaseReservation();
                return;
            }
            while (filling && fillFrom < end) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // other producers' batches are in this write: finish it, keep the interrupt
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops a running fill at its next chunk (or read) and waits for it, or releases a reserved one that has not
     * started; later fills may start.
     */
    private void cancelFill() {
        synchronized (this) {
            fillGeneration++;
            if (filling && !fillStarted) {
                releaseReservation();
            }
        }
        awaitNoFill();
    }

    /** Stops fills for good (roll, close) and waits for a running one. */
    void stopFills() {
        synchronized (this) {
            fillsStopped = true;
        }
        cancelFill();
    }

    private synchronized void awaitNoFill() {
        boolean interrupted = false;
        while (filling) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Test support: whether a fill is running. */
    synchronized boolean filling() {
        return filling;
    }

    void close() {
        stopFills(); // a fill must not write into a file that is closed, deleted or reopened by recovery
        closedForGood = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only use from here on is impossible anyway
        }
    }

    void deleteFiles() throws IOException {
        close();
        Files.deleteIfExists(indexFile());
        Files.deleteIfExists(timeIndexFile());
        Files.deleteIfExists(file);
    }

    @Override
    public String toString() {
        return file.toString();
    }
}
