package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.TopicPartition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preallocation when things go wrong: a fill that cannot start, fails with an error, or fails on every try must
 * neither block the writer or close nor retry on every append, and must be visible in the log; a writer that catches
 * up with a fill waits for its chunks only; recovery keeps reporting zeros that may be lost records.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PreallocationFaultTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path dir;

    private static final Segment.FillFailure IGNORE = (from, to, cause, syncFailed) -> { };

    @Test
    void aFillWhoseTaskCannotStartIsReleasedSoTheWriterAndCloseGoOn() throws Exception {
        Segment seg = Segment.create(dir, 0, 4096);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        boolean started = seg.startFill(65536, 65536 + (1 << 20), task -> {
            // what Thread.start throws is an OutOfMemoryError, which would make JUnit end the test JVM
            throw new InternalError("unable to create native thread");
        }, (from, to, cause, syncFailed) -> failures.add(cause));
        assertThat(started).isTrue();
        assertThat(failures).singleElement().isInstanceOf(InternalError.class);
        assertThat(seg.filling()).as("the reservation was released").isFalse();

        Thread writer = Thread.ofPlatform().start(() -> seg.awaitFillPast(65536 + 100));
        writer.join(5000);
        assertThat(writer.isAlive()).as("a writer reaching the reserved range does not wait for a fill that never ran")
                .isFalse();
        assertThat(seg.startFill(65536, 2 << 20, Runnable::run, IGNORE))
                .as("the next fill waits until the appends pass where the failed one started").isFalse();
        Thread closer = Thread.ofPlatform().start(seg::close);
        closer.join(5000);
        assertThat(closer.isAlive()).as("close does not wait for a fill that never ran").isFalse();
    }

    @Test
    void aFillTaskQueuedByAnExecutorThatThenThrowsNeverWritesWhenItRunsLater() throws Exception {
        // ThreadPoolExecutor.execute queues the task and may then fail to start a worker (OOM: unable to create
        // native thread): the task sits in the queue although execute threw, and a later worker runs it. By then
        // the reservation was released and appends may have written into its range (review finding).
        Segment seg = Segment.create(dir, 0, 4096);
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
        boolean started = seg.startFill(65536, 65536 + (1 << 20), task -> {
            queued.add(task);
            throw new InternalError("unable to create native thread");
        }, IGNORE);
        assertThat(started).isTrue();
        assertThat(seg.filling()).as("the reservation was released").isFalse();
        queued.forEach(Runnable::run); // a worker started later takes the queued task
        assertThat(Files.size(seg.file)).as("the task of a released reservation writes nothing").isZero();
        assertThat(seg.filling()).isFalse();
        seg.close();
    }

    @Test
    void aReservedFillThatHasNotStartedIsReleasedByCloseAndNeverWrites() throws Exception {
        Segment seg = Segment.create(dir, 0, 4096);
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
        assertThat(seg.startFill(65536, 65536 + (1 << 20), queued::add, IGNORE)).isTrue();
        Thread closer = Thread.ofPlatform().start(seg::close);
        closer.join(5000);
        assertThat(closer.isAlive()).as("close released the queued fill instead of waiting for a busy fill thread")
                .isFalse();
        queued.forEach(Runnable::run); // the fill threads get to it after the close
        assertThat(Files.size(seg.file)).as("a released fill writes nothing").isZero();
    }

    @Test
    void aWriterReachingAFillStillQueuedReleasesItInsteadOfWaitingBehindOtherFills() throws Exception {
        Segment seg = Segment.create(dir, 0, 4096);
        ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>(); // fill threads busy elsewhere
        assertThat(seg.startFill(65536, 65536 + (1 << 20), queued::add, IGNORE)).isTrue();
        Thread writer = Thread.ofPlatform().start(() -> seg.awaitFillPast(65536 + 100));
        writer.join(5000);
        assertThat(writer.isAlive()).as("the writer waited for a fill that had not started").isFalse();
        assertThat(seg.filling()).isFalse();
        queued.forEach(Runnable::run);
        assertThat(Files.size(seg.file)).as("the released fill writes nothing when its turn comes").isZero();
        assertThat(seg.startFill(131072, 131072 + (1 << 20), Runnable::run, IGNORE))
                .as("the writer may reserve a fresh fill after its write").isTrue();
        assertThat(seg.zeroedEnd).isEqualTo(131072 + (1 << 20));
        seg.close();
    }

    /**
     * Once a fill wrote its last chunk it writes nothing more, so a writer whose bytes run past the fill's end must
     * not wait (holding the partition's write lock) through the fill's fsync and its read-back of every byte.
     */
    @Test
    void aWriterPastTheLastChunkDoesNotWaitForTheFillsSyncAndReadBack() throws Exception {
        Segment seg = Segment.create(dir, 0, 4096);
        long to = 64L << 20;
        ExecutorService fills = Executors.newSingleThreadExecutor();
        try {
            assertThat(seg.startFill(0, to, fills, IGNORE)).isTrue();
            Field f = Segment.class.getDeclaredField("fillFrom");
            f.setAccessible(true);
            while ((long) f.get(seg) < to && seg.filling()) {
                Thread.onSpinWait();
            }
            boolean fillingWhenChunksDone = seg.filling();
            seg.awaitFillPast(to + 4096); // e.g. a write of [to - 100, to + 4096): everything below `to` is zeroed
            boolean fillingWhenReturned = seg.filling();
            assertThat(fillingWhenChunksDone).as("precondition: caught the fill after its last chunk").isTrue();
            assertThat(fillingWhenReturned).as("the writer returned while the fill still syncs and reads back").isTrue();
        } finally {
            seg.close();
            fills.shutdown();
        }
    }

    /** -XX:MaxDirectMemorySize too small for the zeros: the fill fails with an Error, once, and backs off. */
    @Test
    void aFillFailingWithAnErrorReleasesTheSegmentAndWaitsForTheAppendsToPassItsStart() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-XX:MaxDirectMemorySize=512k", "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                FillOutOfMemoryChild.class.getName(), dir.toString()).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("child output: %s", lines).isZero();
        assertThat(lines).as("child output").contains("FILLING false", "RETRY false", "RETRY_PAST true");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("FAILED 1 java.lang.OutOfMemoryError"));
    }

    /**
     * Every fill of this partition fails (its file was unlinked under it, so opening it for the zeros fails): the
     * first failure is a WARNING naming the partition and the setting that turns preallocation off, later ones are
     * DEBUG, and fills are not retried on every append.
     */
    @Test
    void failingFillsAreLoggedAsAWarningOncePerPartitionAndNotRetriedOnEveryAppend() throws Exception {
        Logger jul = Logger.getLogger(PartitionLog.class.getName());
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("preallocating")) {
                    logged.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Level old = jul.getLevel();
        jul.setLevel(Level.ALL);
        jul.addHandler(handler);
        int appends = 4000;
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            p.append("t", 0, record("k", "first", 1)).join();
            Files.delete(Segment.logFile(dir.resolve("t-0"), 0)); // the open channel keeps writing the inode
            for (int i = 0; i < appends; i++) {
                p.append("t", 0, record("k" + i, "x".repeat(1000), 1000 + i)).join();
            }
            awaitNoFill(s.partitionLog(TP).segments.lastEntry().getValue());
        } finally {
            jul.removeHandler(handler);
            jul.setLevel(old);
        }
        List<LogRecord> warnings = logged.stream().filter(r -> r.getLevel() == Level.WARNING).toList();
        assertThat(warnings).singleElement().satisfies(w -> assertThat(w.getMessage()).contains("partition t-0")
                .contains(EmbeddedLogConfig.SEGMENT_PREALLOCATE_BYTES + "=0"));
        assertThat(logged.size()).as("failed fills for ~4 MB of appends: one per stretch passed, not one per append")
                .isBetween(2, 100);
    }

    @Test
    void fillsOfManyPartitionsRunOnTwoThreads() throws Exception {
        int partitions = 24;
        AtomicInteger maxThreads = new AtomicInteger();
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            StorageFixture.topic(s, "t", partitions, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < partitions; i++) {
                    p.append("t", i, record("k" + i, "x".repeat(20_000), 1000 + i)).join();
                }
                maxThreads.accumulateAndGet(fillThreads(), Math::max);
            }
            for (int i = 0; i < partitions; i++) {
                Segment seg = s.partitionLog(new TopicPartition("t", i)).segments.lastEntry().getValue();
                awaitNoFill(seg);
                assertThat(seg.zeroedEnd).as("partition %d was preallocated", i).isGreaterThan(seg.size);
            }
            maxThreads.accumulateAndGet(fillThreads(), Math::max);
        }
        assertThat(maxThreads.get()).isBetween(1, 2);
    }

    private static int fillThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("tributary-prealloc-")).count();
    }

    /**
     * A fill's fdatasync covers the whole file, the appended records' pages too, but its failure was only logged and
     * appends went on: the fill runs on its own open file, and once the segment's channel had been reopened the
     * partition's own fsyncs were never told of the failed write-back. It now stops the partition as any failed fsync
     * of its data does.
     */
    @Test
    void aFillWhoseFsyncFailsStopsThePartition() throws Exception {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            p.append("t", 0, record("k", "first", 1)).join();
            PartitionLog log = s.partitionLog(TP);
            Segment seg = log.segments.lastEntry().getValue();
            awaitNoFill(seg);
            seg.fillSyncFault = new java.io.IOException("injected: the fill's fsync failed");
            // The fill runs on its own thread and stops the partition when its fsync fails, which may come before this
            // loop sees the fault taken: the append in flight then fails. Both orders are the product's behaviour; an
            // append may fail only because the partition has stopped.
            CompletionException appendFailed = null;
            for (int i = 0; i < 4000 && seg.fillSyncFault != null; i++) {
                try {
                    p.append("t", 0, record("k" + i, "x".repeat(1000), 1000 + i)).join();
                } catch (CompletionException e) {
                    appendFailed = e;
                    break;
                }
            }
            assertThat(seg.fillSyncFault).as("a fill ran and used the injected fault").isNull();
            if (appendFailed != null) {
                assertThat(appendFailed).as("an append failed while the fills ran")
                        .hasMessageContaining("Could not sync " + seg.file)
                        .hasMessageContaining("injected: the fill's fsync failed");
            }
            awaitNoFill(seg);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (log.failure() == null && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(log.failure()).as("the partition's failure").isNotNull();
            assertThat(log.failure().getMessage()).contains("Could not sync " + seg.file)
                    .contains("injected: the fill's fsync failed");
            assertThat(p.append("t", 0, record("k", "after", 2))).as("an append after the fill's failed fsync")
                    .failsWithin(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A fill whose fsync failed released the segment before telling the partition, so a roll's or close's stopFills
     * could return, and the roll then check for a failure, before the fill's failure was recorded: the roll created
     * the next segment past data the failed fsync may have dropped. stopFills must return only once it was told.
     */
    @Test
    void stopFillsReturnsOnlyOnceAFillsFailedFsyncWasReported() throws Exception {
        Segment seg = Segment.create(dir, 0, 4096);
        java.util.concurrent.CountDownLatch told = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch recorded = new java.util.concurrent.CountDownLatch(1);
        List<Boolean> syncFailures = new CopyOnWriteArrayList<>();
        seg.fillSyncFault = new java.io.IOException("injected: the fill's fsync failed");
        ExecutorService fills = Executors.newSingleThreadExecutor();
        Thread stopper = null;
        try {
            assertThat(seg.startFill(0, 1 << 20, fills, (from, to, cause, syncFailed) -> {
                syncFailures.add(syncFailed);
                told.countDown();
                try {
                    recorded.await(30, TimeUnit.SECONDS); // the partition recording the failure, slowly
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            })).isTrue();
            assertThat(told.await(30, TimeUnit.SECONDS)).as("the fill reported its failed fsync").isTrue();
            stopper = Thread.ofPlatform().start(seg::stopFills);
            stopper.join(300);
            assertThat(stopper.isAlive()).as("stopFills waits while the failed fsync is being reported").isTrue();
        } finally {
            recorded.countDown();
            if (stopper != null) {
                stopper.join(10_000);
            }
            fills.shutdown();
        }
        assertThat(stopper.isAlive()).as("stopFills returned once the report ended").isFalse();
        assertThat(syncFailures).containsExactly(true);
        seg.close();
    }

    /**
     * A roll stopped the old segment's fills, waiting for a running one's fsync and read-back, while it held the
     * partition's sync lock, so the sync thread's fsync (every fsync=always acknowledgement) waited for the fill too.
     * Here a fill is held before its fsync while retention rolls the (expired) segment, and the sync thread is held
     * just before the fsync of a batch written meanwhile: once the roll waits for the fill, it must not hold the sync
     * lock, and the sync thread must finish that fsync and acknowledge the batch while the fill is still held. (Its
     * next cycle does wait: the roll holds the write lock.)
     */
    @Test
    void aRollWaitsForARunningFillWithoutHoldingTheSyncLock() throws Exception {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            p.append("t", 0, record("k", "first", 1)).join();
            PartitionLog log = s.partitionLog(TP);
            Segment seg = log.segments.lastEntry().getValue();
            awaitNoFill(seg);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            seg.beforeFillSync = () -> {
                held.countDown();
                awaitLatch(release);
            };
            java.util.concurrent.CountDownLatch syncHeld = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch releaseSync = new java.util.concurrent.CountDownLatch(1);
            Thread cleaner = null;
            try {
                for (int i = 0; held.getCount() > 0 && i < 4000; i++) {
                    p.append("t", 0, record("k" + i, "x".repeat(1000), 1000 + i)).join();
                }
                assertThat(held.getCount()).as("a fill is held before its fsync").isZero();
                log.beforeSync = () -> {
                    log.beforeSync = null;
                    syncHeld.countDown();
                    awaitLatch(releaseSync);
                };
                java.util.concurrent.CompletableFuture<?> pending = p.append("t", 0, record("w", "written", 2));
                assertThat(syncHeld.await(10, TimeUnit.SECONDS)).as("the sync thread is about to sync").isTrue();
                // every record is from 1970: retention rolls the active segment, waiting for the held fill
                cleaner = Thread.ofPlatform().start(() -> s.runCleanerOnce(System.currentTimeMillis()));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!waitsForAFill(cleaner) && System.nanoTime() < until) {
                    Thread.sleep(1);
                }
                assertThat(waitsForAFill(cleaner)).as("the roll waits for the held fill").isTrue();
                assertThat(log.syncLockHeld()).as("the sync lock held while the roll waits for the fill").isFalse();
                releaseSync.countDown();
                assertThat(pending).as("the batch whose fsync the sync thread was about to make, acknowledged while"
                        + " the roll waits for the fill").succeedsWithin(10, TimeUnit.SECONDS);
                assertThat(waitsForAFill(cleaner)).as("the roll still waits for the held fill").isTrue();
            } finally {
                releaseSync.countDown();
                release.countDown();
                if (cleaner != null) {
                    cleaner.join(10_000);
                }
            }
            assertThat(log.segments.size()).as("segments after retention's roll (the old one deleted)").isEqualTo(1);
            assertThat(log.segments.lastEntry().getValue()).as("the active segment").isNotSameAs(seg);
        }
    }

    /** Whether {@code t} is parked in {@link Segment#stopFills}'s wait for a running fill. */
    private static boolean waitsForAFill(Thread t) {
        return t.getState() == Thread.State.WAITING && java.util.Arrays.stream(t.getStackTrace())
                .anyMatch(e -> e.getClassName().equals(Segment.class.getName())
                        && e.getMethodName().equals("awaitNoFill"));
    }

    private static void awaitLatch(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitNoFill(Segment seg) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seg.filling()) {
            assertThat(System.nanoTime()).as("fill of %s ended within 30 s", seg.file).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /**
     * Large appends from four threads keep catching up with 32 MiB fills (waiting on running ones, releasing queued
     * ones, writing while a fill syncs): no zeros may land on data.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void writersCatchingUpWithFillsNeverLoseBytes() throws Exception {
        int n = 300;
        String big = "x".repeat(200_000);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withSegmentPreallocateBytes(32 << 20))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always", "segment.bytes", String.valueOf(48 << 20)));
            EmbeddedProducer p = StorageFixture.producer(s);
            ExecutorService writers = Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int first = w;
                done.add(writers.submit(() -> {
                    for (int i = first; i < n; i += 4) {
                        p.append("t", 0, record("k" + i, i + ":" + big, 1000 + i)).join();
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
            writers.shutdown();
            s.abandon();
        }
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(n);
            java.util.Set<String> seen = new java.util.HashSet<>();
            long next = 0;
            while (next < n) {
                for (io.tributary.log.LogRecord r : s.read(TP, next, 100, Long.MAX_VALUE)) {
                    String v = StorageFixture.text(r.value());
                    assertThat(v).endsWith(big);
                    seen.add(v.substring(0, v.indexOf(':')));
                    next = r.offset() + 1;
                }
            }
            assertThat(seen).hasSize(n);
        }
    }

    @Test
    void theConstructorWithoutThePreallocationSettingStillWorksWithTheDefault() {
        EmbeddedLogConfig c = new EmbeddedLogConfig(dir, Duration.ofSeconds(30), Duration.ofSeconds(10), false, 4096,
                false, 1);
        assertThat(c.segmentPreallocateBytes()).isEqualTo(EmbeddedLogConfig.DEFAULT_SEGMENT_PREALLOCATE_BYTES);
        assertThat(c).isEqualTo(EmbeddedLogConfig.at(dir));
    }

    /**
     * fsync=interval acknowledges records once written. A power loss can leave the file's new length committed but
     * its last data pages unwritten (zeros; XFS is known for it): recovery must report that, not take the zeros as a
     * preallocated tail, even when the file's length happens to be a multiple of a page.
     */
    @Test
    void zerosEndingTheLastSegmentOfAnIntervalPartitionAreReportedAsLostRecords() throws Exception {
        long zerosFrom;
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "interval:60000"));
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 30; i++) {
                p.append("t", 0, record("k" + i, "value-" + i, 1000 + i)).join(); // acknowledged
            }
            Segment seg = s.partitionLog(TP).segments.lastEntry().getValue();
            assertThat(Files.size(seg.file)).as("interval partitions are not preallocated").isEqualTo(seg.size);
            zerosFrom = walkTo(seg.file, seg.size / 2);
            s.abandon();
        }
        Path file = Segment.logFile(dir.resolve("t-0"), 0);
        long length = (Files.size(file) + Segment.FILL_ALIGN - 1) / Segment.FILL_ALIGN * Segment.FILL_ALIGN;
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate((int) (length - zerosFrom)), zerosFrom); // length kept, data lost
        }
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) {
            long end = s.endOffset(TP);
            assertThat(end).isBetween(1L, 29L);
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.position()).isEqualTo(zerosFrom);
                assertThat(e.firstLostOffset()).isEqualTo(end);
                assertThat(e.problem()).contains("zero bytes where a batch should start");
                assertThat(e.zeroBytes()).isEqualTo(length - zerosFrom);
                assertThat(e.describe()).contains("offsets from " + end + " on are gone");
            });
        }
    }

    /** The position of the first batch boundary at or after {@code position}. */
    private static long walkTo(Path file, long position) throws Exception {
        java.nio.ByteBuffer all = java.nio.ByteBuffer.wrap(Files.readAllBytes(file));
        int pos = 0;
        while (pos < position) {
            pos += BatchFormat.batchSize(all, pos);
        }
        return pos;
    }
}
