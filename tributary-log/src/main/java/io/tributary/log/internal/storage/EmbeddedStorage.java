package io.tributary.log.internal.storage;

import io.tributary.core.ConflictException;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.PartitionDescription;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.PartitionReads;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The storage side of the embedded engine: the locked data folder, the topic catalog, every partition's
 * {@link PartitionLog}, the change signal consumers long-poll on, and the background cleaner (retention, compaction,
 * recovery-point checkpoints).
 *
 * <p>Folder layout:
 * <pre>
 * &lt;dataDir&gt;/
 *   .lock                       OS file lock; holds the owner's pid
 *   topics.properties           the topic catalog ({@link TopicCatalog})
 *   &lt;topic&gt;-&lt;partition&gt;/
 *     00000000000000000000.log        segment: batches ({@link BatchFormat}); named by base offset
 *     00000000000000000000.index      sparse offset index ({@link SegmentIndex})
 *     00000000000000000000.timeindex  sparse time index
 *     recovery-point.checkpoint       ({@link RecoveryCheckpoint})
 *   __groups/                   committed offsets (the consumer side)
 * </pre>
 *
 * <p>Thread-safe. Topic changes are serialised; reads and appends run concurrently with them.
 */
public final class EmbeddedStorage implements PartitionReads, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EmbeddedStorage.class.getName());

    /** A topic and its partitions. */
    static final class TopicState {
        final String name;
        private volatile TopicConfig config;
        /**
         * {@code config.maxMessageBytes()}, parsed once per config change: every append checks it, and parsing the
         * setting's text each time cost about 4% of a producer thread's time.
         */
        private volatile int maxMessageBytes;
        final PartitionLog[] partitions;

        TopicState(String name, TopicConfig config, PartitionLog[] partitions) {
            this.name = name;
            this.partitions = partitions;
            setConfig(config);
        }

        TopicConfig config() {
            return config;
        }

        int maxMessageBytes() {
            return maxMessageBytes;
        }

        /** Sets the config; the config is written last so a reader that sees it also sees its parsed limit. */
        void setConfig(TopicConfig c) {
            maxMessageBytes = c.maxMessageBytes();
            config = c;
        }
    }

    private final EmbeddedLogConfig config;
    private final Path dataDir;
    private final DataDirLock lock;
    private final ConcurrentHashMap<String, TopicState> topics = new ConcurrentHashMap<>();
    private final Object topicChanges = new Object();
    private final AtomicLong changes = new AtomicLong();
    private final Set<Thread> waiters = ConcurrentHashMap.newKeySet();
    private final List<RecoveryEvent> recoveryEvents = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile Compactor.StepHook compactionHook = Compactor.NO_HOOK;
    private final Thread cleaner;
    private long lastCheckpointNanos = System.nanoTime();
    /** Direct buffers in which writers gather many small batches into one pwrite; shared so memory is bounded. */
    private final java.util.concurrent.ConcurrentLinkedQueue<java.nio.ByteBuffer> writeBuffers =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger writeBuffersCreated = new java.util.concurrent.atomic.AtomicInteger();
    private static final int MAX_WRITE_BUFFERS = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
    /**
     * Runs every partition's preallocation fills: two threads, so a slow fill (a full disk, a busy device) delays the
     * others by at most one, and no thread is created per fill (a fill is short, and creating a thread can fail).
     * The queue holds at most one live fill per active segment (a segment reserves one at a time; a writer that reaches
     * a fill still queued releases it, leaving a task that does nothing, rather than wait). Idle threads end after
     * a minute; shut down on close and abandon, after the partitions released their fills.
     */
    private final java.util.concurrent.ThreadPoolExecutor fills;
    private static final int FILL_THREADS = 2;

    private EmbeddedStorage(EmbeddedLogConfig config, DataDirLock lock) {
        this.config = config;
        this.dataDir = config.dataDir();
        this.lock = lock;
        this.cleaner = Thread.ofPlatform().daemon().name("tributary-log-cleaner").unstarted(this::cleanerLoop);
        this.fills = new java.util.concurrent.ThreadPoolExecutor(FILL_THREADS, FILL_THREADS, 60,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
                Thread.ofPlatform().daemon().name("tributary-prealloc-", 0).factory());
        this.fills.allowCoreThreadTimeOut(true);
    }

    /** Bytes kept zero-filled ahead of each {@code fsync=always} active segment (0 = off); see {@link Segment}. */
    int segmentPreallocateBytes() {
        return config.segmentPreallocateBytes();
    }

    /** The threads that preallocate segments ({@link Segment#startFill}); see {@link #fills}. */
    java.util.concurrent.Executor fills() {
        return fills;
    }

    /** Locks the data folder, reads the catalog and recovers every partition. */
    public static EmbeddedStorage open(EmbeddedLogConfig config) {
        Path dir = config.dataDir();
        prepareDataDir(dir);
        DataDirLock lock = DataDirLock.acquire(dir);
        EmbeddedStorage storage = new EmbeddedStorage(config, lock);
        try {
            storage.recover();
        } catch (RuntimeException | IOException e) {
            storage.closePartitions(true);
            lock.close();
            if (e instanceof TributaryException te) {
                throw te;
            }
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Could not open the log in "
                    + dir.toAbsolutePath() + ": " + e + ". Check that the folder is readable and writable.", e);
        }
        storage.cleaner.start();
        return storage;
    }

    private static void prepareDataDir(Path dir) {
        try {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new FileAlreadyExistsException(dir.toString(), null, "it exists and is not a folder");
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Cannot use " + dir.toAbsolutePath()
                    + " as the data folder (" + e + "); point --data-dir / tributary.log.embedded.data-dir at a "
                    + "folder this user can create and write.", e);
        }
        if (!Files.isWritable(dir)) {
            throw new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "The data folder "
                    + dir.toAbsolutePath() + " is not writable by this user; fix its permissions or choose another "
                    + "folder with --data-dir / tributary.log.embedded.data-dir.");
        }
    }

    private void recover() throws IOException {
        Map<String, TopicCatalog.Entry> catalog = TopicCatalog.read(dataDir);
        List<String> corruption = new ArrayList<>();
        for (var e : catalog.entrySet()) {
            String name = e.getKey();
            PartitionLog[] parts = new PartitionLog[e.getValue().partitions()];
            for (int p = 0; p < parts.length; p++) {
                TopicPartition tp = new TopicPartition(name, p);
                Path pdir = partitionDir(tp);
                if (!Files.isDirectory(pdir)) {
                    LOG.log(System.Logger.Level.WARNING, "Folder " + pdir + " of partition " + tp
                            + " is missing; starting it empty.");
                    parts[p] = PartitionLog.create(this, tp, pdir, e.getValue().config(), config.indexIntervalBytes());
                } else {
                    parts[p] = PartitionLog.open(this, tp, pdir, e.getValue().config(), config.indexIntervalBytes(),
                            config.repairOnOpen(), recoveryEvents, corruption);
                }
            }
            topics.put(name, new TopicState(name, e.getValue().config(), parts));
        }
        if (!corruption.isEmpty()) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Refusing to open the log in "
                    + dataDir.toAbsolutePath() + ": " + String.join("; ", corruption) + ". Back up the folder, then "
                    + "either restore it or reopen with repair (tributary.log.embedded.repair=true, or "
                    + "EmbeddedLogConfig.withRepairOnOpen(true)), which cuts each damaged partition at the reported "
                    + "byte and loses the records from that offset on.");
        }
    }

    Path partitionDir(TopicPartition tp) {
        return dataDir.resolve(tp.topic() + "-" + tp.partition());
    }

    public Path dataDir() {
        return dataDir;
    }

    public EmbeddedLogConfig config() {
        return config;
    }

    /**
     * What recovery cut, or where it ended a partition below its recovery point, when this log was opened (empty after
     * a clean shutdown).
     */
    public List<RecoveryEvent> recoveryEvents() {
        return List.copyOf(recoveryEvents);
    }

    // ------------------------------------------------------------------------------------------------ topics

    public TopicDescription createTopic(NewTopic nt) {
        checkOpen();
        synchronized (topicChanges) {
            if (topics.containsKey(nt.name())) {
                throw new ConflictException(LogErrors.TOPIC_ALREADY_EXISTS, "Topic '" + nt.name() + "' already exists "
                        + "with " + topics.get(nt.name()).partitions.length + " partitions; pick another name, or "
                        + "delete it first with 'tributary log delete " + nt.name() + "'.");
            }
            PartitionLog[] parts = new PartitionLog[nt.partitions()];
            try {
                for (int p = 0; p < parts.length; p++) {
                    TopicPartition tp = new TopicPartition(nt.name(), p);
                    parts[p] = PartitionLog.create(this, tp, partitionDir(tp), nt.config(), config.indexIntervalBytes());
                }
                AtomicFiles.syncDirectory(dataDir);
                Map<String, TopicCatalog.Entry> catalog = catalogWith();
                catalog.put(nt.name(), new TopicCatalog.Entry(nt.partitions(), nt.config()));
                TopicCatalog.write(dataDir, catalog);
            } catch (IOException e) {
                for (PartitionLog p : parts) {
                    if (p != null) {
                        p.markDeleted();
                    }
                }
                throw writeFailure("create topic '" + nt.name() + "'", e);
            }
            topics.put(nt.name(), new TopicState(nt.name(), nt.config(), parts));
        }
        signalChange();
        return describeTopic(nt.name());
    }

    private Map<String, TopicCatalog.Entry> catalogWith() {
        Map<String, TopicCatalog.Entry> catalog = new TreeMap<>();
        topics.forEach((n, t) -> catalog.put(n, new TopicCatalog.Entry(t.partitions.length, t.config())));
        return catalog;
    }

    private InvalidRequestException writeFailure(String what, IOException e) {
        return new InvalidRequestException(LogErrors.DATA_DIR_NOT_WRITABLE, "Could not " + what + " in "
                + dataDir.toAbsolutePath() + " (" + e + "); check that the folder is writable and the disk has space. "
                + "Existing topics and acknowledged records are intact.", e);
    }

    public TopicDescription describeTopic(String name) {
        TopicState t = topic(name, false);
        List<PartitionDescription> parts = new ArrayList<>(t.partitions.length);
        for (PartitionLog p : t.partitions) {
            parts.add(new PartitionDescription(p.tp.partition(), p.startOffset(), p.endOffset(), p.sizeInBytes()));
        }
        return new TopicDescription(name, parts, t.config());
    }

    public boolean topicExists(String name) {
        return topics.containsKey(name);
    }

    public List<String> listTopics() {
        return List.copyOf(new TreeSet<>(topics.keySet()));
    }

    public void deleteTopic(String name) {
        checkOpen();
        TopicState t;
        synchronized (topicChanges) {
            t = topic(name, false);
            Map<String, TopicCatalog.Entry> catalog = catalogWith();
            catalog.remove(name);
            try {
                TopicCatalog.write(dataDir, catalog);
            } catch (IOException e) {
                throw writeFailure("delete topic '" + name + "'", e);
            }
            topics.remove(name);
        }
        for (PartitionLog p : t.partitions) {
            p.markDeleted();
            try {
                PartitionLog.deleteTree(p.dir);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not remove " + p.dir + " of deleted topic '" + name
                        + "' (" + e + "); it is no longer listed and can be removed by hand.");
            }
        }
        signalChange();
    }

    public TopicDescription alterTopicConfig(String name, Map<String, String> changes) {
        checkOpen();
        synchronized (topicChanges) {
            TopicState t = topic(name, false);
            TopicConfig updated = t.config().withAll(changes);
            Map<String, TopicCatalog.Entry> catalog = catalogWith();
            catalog.put(name, new TopicCatalog.Entry(t.partitions.length, updated));
            try {
                TopicCatalog.write(dataDir, catalog);
            } catch (IOException e) {
                throw writeFailure("change the config of topic '" + name + "'", e);
            }
            t.setConfig(updated);
            for (PartitionLog p : t.partitions) {
                p.applyConfig(updated);
            }
        }
        return describeTopic(name);
    }

    /** The topic, or {@code TOPIC_NOT_FOUND} with how to create it (or auto-created if so configured and asked). */
    TopicState topic(String name, boolean forAppend) {
        TopicState t = topics.get(name);
        if (t != null) {
            return t;
        }
        if (forAppend && config.autoCreateTopics()) {
            try {
                createTopic(new NewTopic(name, config.autoCreatePartitions(), TopicConfig.defaults()));
            } catch (ConflictException raced) {
                // another thread created it first
            }
            t = topics.get(name);
            if (t != null) {
                return t;
            }
        }
        io.tributary.log.TopicNameRule.validate(name);
        throw new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + name + "' does not exist; create it with "
                + "'tributary log create-topic " + name + " --partitions N'.");
    }

    /** A partition of an appendable topic, with the range check. */
    PartitionLog partitionFor(TopicState t, int partition) {
        if (partition < 0 || partition >= t.partitions.length) {
            throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition
                    + " does not exist in topic '" + t.name + "', which has partitions 0 to "
                    + (t.partitions.length - 1) + "; use one of those, or omit the partition to choose by key.");
        }
        return t.partitions[partition];
    }

    private PartitionLog partition(TopicPartition tp) {
        return partitionFor(topic(tp.topic(), false), tp.partition());
    }

    private void checkOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "The embedded log in " + dataDir.toAbsolutePath()
                    + " is closed; open it again.");
        }
    }

    // ------------------------------------------------------------------------------------------------ PartitionReads

    @Override
    public Set<String> topics() {
        return Set.copyOf(topics.keySet());
    }

    @Override
    public int partitionCount(String topic) {
        return topic(topic, false).partitions.length;
    }

    @Override
    public long startOffset(TopicPartition tp) {
        return partition(tp).startOffset();
    }

    @Override
    public long endOffset(TopicPartition tp) {
        return partition(tp).endOffset();
    }

    @Override
    public List<LogRecord> read(TopicPartition tp, long offset, int maxRecords, long maxBytes) {
        checkOpen();
        return partition(tp).read(offset, maxRecords, maxBytes);
    }

    @Override
    public List<LogRecord> read(TopicPartition tp, long offset, int maxRecords, long[] bytesLeft) {
        checkOpen();
        return partition(tp).read(offset, maxRecords, bytesLeft);
    }

    PartitionLog partitionLog(TopicPartition tp) {
        return partition(tp);
    }

    /** Number of segment files of a partition (for tests and {@code describe}). */
    public int segmentCount(TopicPartition tp) {
        return partition(tp).segments.size();
    }

    @Override
    public OptionalLong offsetForTimestamp(TopicPartition tp, long timestamp) {
        return partition(tp).offsetForTimestamp(timestamp);
    }

    @Override
    public long changeCount() {
        return changes.get();
    }

    @Override
    public long awaitChange(long seen, long timeoutNanos) throws InterruptedException {
        long c = changes.get();
        if (c != seen || timeoutNanos <= 0) {
            return c;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        Thread me = Thread.currentThread();
        waiters.add(me);
        try {
            while (true) {
                c = changes.get();
                if (c != seen) {
                    return c;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return c;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiters.remove(me);
        }
    }

    /** Records became readable, or topics changed: wake every long-poll at once. */
    void signalChange() {
        changes.incrementAndGet();
        if (!waiters.isEmpty()) {
            for (Thread t : waiters) {
                LockSupport.unpark(t);
            }
        }
    }

    /** A 1 MiB direct buffer, or null if all {@link #MAX_WRITE_BUFFERS} are in use (the writer then writes batch by batch). */
    java.nio.ByteBuffer borrowWriteBuffer() {
        java.nio.ByteBuffer b = writeBuffers.poll();
        if (b != null) {
            return b;
        }
        if (writeBuffersCreated.incrementAndGet() <= MAX_WRITE_BUFFERS) {
            return java.nio.ByteBuffer.allocateDirect(PartitionLog.MAX_WRITE_BYTES);
        }
        writeBuffersCreated.decrementAndGet();
        return null;
    }

    void returnWriteBuffer(java.nio.ByteBuffer b) {
        writeBuffers.offer(b);
    }

    // ------------------------------------------------------------------------------------------------ cleaner

    private void cleanerLoop() {
        long interval = config.cleanerInterval().toNanos();
        while (!closed) {
            LockSupport.parkNanos(this, interval);
            if (closed) {
                return;
            }
            try {
                runCleanerOnce(System.currentTimeMillis());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "The log cleaner failed a pass (" + e + "); it retries on the next one.");
            }
        }
    }

    /**
     * One pass of the cleaner over every partition: close segment files retired by the previous pass, apply
     * retention, compact, and write recovery points if the checkpoint interval passed. Runs on the cleaner thread;
     * tests call it directly.
     */
    public synchronized void runCleanerOnce(long nowMs) {
        boolean checkpoint = System.nanoTime() - lastCheckpointNanos >= config.checkpointInterval().toNanos();
        if (checkpoint) {
            lastCheckpointNanos = System.nanoTime();
        }
        for (TopicState t : topics.values()) {
            for (PartitionLog p : t.partitions) {
                if (closed) {
                    return;
                }
                TributaryException stoppedBefore = p.failure();
                try {
                    p.closeRetired();
                    p.applyRetention(nowMs);
                    Compactor.compact(p, nowMs, compactionHook);
                } catch (IOException e) {
                    logCleanerFailure(p, "Cleaning", e, stoppedBefore);
                }
                if (checkpoint) {
                    // its own try: a retention or compaction step that keeps failing must not also keep the
                    // partition's recovery point from advancing (recovery after a crash would rescan ever more)
                    stoppedBefore = p.failure();
                    try {
                        p.checkpoint();
                    } catch (IOException e) {
                        logCleanerFailure(p, "Checkpointing", e, stoppedBefore);
                    }
                }
            }
        }
    }

    /**
     * Logs a failed cleaner step of {@code p}. Most leave the partition as it was and the next pass retries; but a
     * failed fsync (the checkpoint's) stops the partition, and saying then that its data is intact and the cleaner
     * retries would be false: it refuses appends until the log is reopened. That ERROR is for the step that stopped
     * it ({@code stoppedBefore}, the partition's failure before the step, is null): a partition stopped earlier, by
     * a pass or by its writer, had its failure reported then, and repeating the ERROR on every later pass whose step
     * fails (compaction keeps trying) would read as a new failure each time.
     */
    private static void logCleanerFailure(PartitionLog p, String step, IOException e,
                                          @Nullable TributaryException stoppedBefore) {
        TributaryException stopped = p.failure();
        if (stopped != null && stoppedBefore == null) {
            LOG.log(System.Logger.Level.ERROR, step + " " + p.tp + " failed (" + e + "), and the partition has "
                    + "stopped: it refuses appends until the log is closed and reopened, which is the fix once the "
                    + "disk is healthy. " + stopped.getMessage());
        } else if (stopped != null) {
            LOG.log(System.Logger.Level.WARNING, step + " " + p.tp + " failed (" + e + "); the partition had "
                    + "stopped before this step (its failure was reported then) and refuses appends until the log "
                    + "is reopened; the cleaner retries on its next pass.");
        } else {
            LOG.log(System.Logger.Level.WARNING, step + " " + p.tp + " failed (" + e
                    + "); its data is intact and the cleaner retries on its next pass.");
        }
    }

    /** Test support: called between the steps of each compaction swap. */
    void compactionHook(Compactor.StepHook hook) {
        this.compactionHook = hook;
    }

    // ------------------------------------------------------------------------------------------------ close

    /** Writes what is queued, syncs every partition, writes clean recovery points, releases the folder. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        LockSupport.unpark(cleaner);
        joinCleaner();
        closePartitions(false);
        fills.shutdown();
        signalChange();
        lock.close();
    }

    /** Test support: releases everything without syncing or checkpointing, as if the process had died. */
    public void abandon() {
        closed = true;
        LockSupport.unpark(cleaner);
        joinCleaner();
        closePartitions(true);
        fills.shutdown();
        lock.close();
    }

    private void joinCleaner() {
        if (cleaner.isAlive() && Thread.currentThread() != cleaner) {
            try {
                cleaner.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closePartitions(boolean abandon) {
        for (TopicState t : topics.values()) {
            for (PartitionLog p : t.partitions) {
                if (p == null) {
                    continue;
                }
                if (abandon) {
                    p.abandon();
                } else {
                    p.close();
                }
            }
        }
    }
}
