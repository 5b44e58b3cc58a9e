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

/**
 * One segment of a partition: a data file {@code <baseOffset>.log} (20 digits) of {@link BatchFormat batches} with
 * its {@link SegmentIndex offset index} and {@link SegmentIndex time index}.
 *
 * <p>Thread-safety: the partition's writer appends and updates {@link #size}, {@link #nextOffset} and
 * {@link #maxTimestamp} (all volatile, published after the bytes are in the file); readers read concurrently up to
 * {@link #size}.
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
        Path file = logFile(dir, baseOffset);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ch.truncate(0);
        Files.deleteIfExists(indexFile(dir, baseOffset));
        Files.deleteIfExists(timeIndexFile(dir, baseOffset));
        AtomicFiles.syncDirectory(dir);
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

    /**
     * Writes both indexes to their files and maps them read-only (the segment is closed for appends). A final time
     * entry records the segment's largest timestamp, which retention reads after a restart.
     */
    void seal() throws IOException {
        if (maxTimestamp > timeIndex.lastTimestamp()) {
            timeIndex.appendTime(maxTimestamp, lastBatchRel);
        }
        offsetIndex.writeTo(indexFile());
        timeIndex.writeTo(timeIndexFile());
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

    /** What a scan of the data found. */
    record ScanResult(long validEnd, long nextOffset, long maxTimestamp, String problem) {
    }

    /**
     * Walks every batch from the start, checking length, magic, version, CRC and offset continuity (the first batch
     * must start at {@code baseOffset}), and rebuilds both indexes from what it read. Stops at the first invalid batch.
     */
    ScanResult scan() throws IOException {
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
        return new ScanResult(pos, expected, maxTimestamp, problem);
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

    /** Cuts the file at {@code position} (after a failed write), reopening once if an interrupt closed it. */
    void cutAt(long position) throws IOException {
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

    void close() {
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
