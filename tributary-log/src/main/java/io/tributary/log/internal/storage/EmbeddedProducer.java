package io.tributary.log.internal.storage;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.KeyPartitioner;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The embedded engine's producer. Records are encoded (and checksummed) on the calling thread, then handed to the
 * partition's single writer ({@link PartitionLog}); see {@link LogProducer} for the contract.
 *
 * <p>Partitioning: a keyed record goes to {@code murmur2(key) mod partitions} ({@link KeyPartitioner}, as Kafka);
 * keyless records go round-robin. Back-pressure: at most {@link ProducerConfig#bufferMemoryBytes()} of encoded,
 * unacknowledged batches; beyond that {@code append} waits up to {@link ProducerConfig#maxBlock()}, then throws
 * {@link RetriableException} ({@link LogErrors#PRODUCER_BUFFER_FULL}). Thread-safe.
 *
 * <p>The callback form ({@link #append(String, int, Record, AppendCallback)}) makes no future: the partition's
 * acknowledging thread calls the callback directly, so an append costs one completion instead of a future and the
 * caller's stage chained on it.
 */
public final class EmbeddedProducer implements LogProducer {

    /** appendAll splits a partition's records into batches of about this many encoded bytes. */
    private static final int TARGET_BATCH_BYTES = 64 * 1024;
    private static final VarHandle SETTLED;

    static {
        try {
            SETTLED = MethodHandles.lookup().findVarHandle(OnceTold.class, "settled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final EmbeddedStorage storage;
    private final ProducerConfig config;
    private final Semaphore budget;
    private final int budgetPermits;
    private final AtomicInteger roundRobin = new AtomicInteger();
    /** Appends not yet known to be done, for {@link #flush()}. */
    private final InFlight inFlight = new InFlight();
    private final Runnable onClose;
    private volatile boolean closed;

    public EmbeddedProducer(EmbeddedStorage storage, ProducerConfig config, Runnable onClose) {
        this.storage = storage;
        this.config = config;
        this.budgetPermits = (int) Math.min(Integer.MAX_VALUE, config.bufferMemoryBytes());
        this.budget = new Semaphore(budgetPermits);
        this.onClose = onClose;
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, Record record) {
        checkOpen();
        EmbeddedStorage.TopicState t = storage.topic(topic, true);
        byte[] key = record.sharedKey(); // only read (partitioning, then copied into the batch)
        int n = t.partitions.length;
        int p = key != null ? KeyPartitioner.partitionForKey(key, n) : Math.floorMod(roundRobin.getAndIncrement(), n);
        return appendTo(t, p, record, key);
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
        checkOpen();
        EmbeddedStorage.TopicState t = storage.topic(topic, true);
        storage.partitionFor(t, partition);
        return appendTo(t, partition, record, record.sharedKey());
    }

    private CompletableFuture<AppendResult> appendTo(EmbeddedStorage.TopicState t, int p, Record record,
                                                     byte @Nullable [] key) {
        checkSize(t, record);
        PartitionLog log = storage.partitionFor(t, p);
        byte[] batch = BatchFormat.encodeOne(record, key);
        int permits = acquire(batch.length, t.name);
        CompletableFuture<AppendResult> f = new CompletableFuture<>();
        inFlight.add(f);
        OnceTold a = new OnceTold(batch, 1, record.timestamp()) {
            @Override
            void acknowledge() {
                if (settle()) {
                    budget.release(permits);
                    f.complete(new AppendResult(t.name, p, baseOffset, record.timestamp()));
                }
            }

            @Override
            void fail(TributaryException error) {
                if (settle()) {
                    budget.release(permits);
                    f.completeExceptionally(error);
                }
            }
        };
        // as in the callback form: a throw out of submit left the future incomplete in flight (flush and close
        // waited for it) and its budget taken; the append may be queued anyway, and is then told only once
        submitOrFail(log, a, t.name, p);
        return f;
    }

    /** Submits {@code a}; should the log throw, fails it (once: see {@link OnceTold}) instead of leaving it untold. */
    private static void submitOrFail(PartitionLog log, OnceTold a, String topic, int partition) {
        try {
            log.submit(a);
        } catch (RuntimeException e) {
            int[] depth = PartitionLog.enterTelling(); // a flush in the callback would wait for this very append
            try {
                a.fail(e instanceof TributaryException te ? te
                        : new RetriableException(ErrorCode.INTERNAL, "Appending to " + topic + "-" + partition
                        + " failed: " + e + "; retry the append.", e));
            } finally {
                depth[0]--; // inline, not a call: see PartitionLog.enterTelling
            }
        }
    }

    /**
     * An append told at most once: after a {@code submit} that threw (see {@link #submitOrFail}) both its failure
     * there and the log's own acknowledgement or failure may come; the first wins, so the budget is released once.
     */
    private abstract static class OnceTold extends PendingAppend {
        @SuppressWarnings("unused") // through SETTLED
        private volatile boolean settled;

        OnceTold(byte[] batch, int recordCount, long maxTimestamp) {
            super(batch, recordCount, maxTimestamp);
        }

        /** True for the first caller only. */
        final boolean settle() {
            return SETTLED.compareAndSet(this, false, true);
        }
    }

    @Override
    public void append(String topic, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        EmbeddedStorage.TopicState t;
        int p;
        byte[] key = record.sharedKey(); // only read (partitioning, then copied into the batch)
        try {
            checkOpen();
            t = storage.topic(topic, true);
            int n = t.partitions.length;
            p = key != null ? KeyPartitioner.partitionForKey(key, n) : Math.floorMod(roundRobin.getAndIncrement(), n);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        appendTo(t, p, record, key, callback);
    }

    @Override
    public void append(String topic, int partition, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        EmbeddedStorage.TopicState t;
        try {
            checkOpen();
            t = storage.topic(topic, true);
            storage.partitionFor(t, partition);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        appendTo(t, partition, record, record.sharedKey(), callback);
    }

    /** The callback form of {@link #appendTo(EmbeddedStorage.TopicState, int, Record, byte[])}: no future. */
    private void appendTo(EmbeddedStorage.TopicState t, int p, Record record, byte @Nullable [] key,
                          AppendCallback callback) {
        PartitionLog log;
        byte[] batch;
        int permits;
        try {
            checkSize(t, record);
            log = storage.partitionFor(t, p);
            batch = BatchFormat.encodeOne(record, key);
            permits = acquire(batch.length, t.name);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        CallbackAppend a = new CallbackAppend(batch, record.timestamp(), t.name, p, permits, callback);
        inFlight.add(a.completion);
        // The log broke (a refusal reaches the append through fail()): tell the callback, release the budget and let
        // flush() go past it. The batch may be queued and written anyway; its acknowledgement then finds the append
        // settled and tells nothing, so the callback hears exactly once, and hears failure.
        submitOrFail(log, a, t.name, p);
    }

    /**
     * One record of the callback form in the partition's queue: tells the callback, then marks its {@link
     * InFlight.Completion} done for {@link #flush()}, which makes a future to wait on only for an append still in
     * flight when it runs.
     */
    private final class CallbackAppend extends OnceTold {
        private final String topic;
        private final int partition;
        private final int permits;
        private final AppendCallback callback;
        final InFlight.Completion completion = new InFlight.Completion();

        CallbackAppend(byte[] batch, long timestamp, String topic, int partition, int permits,
                       AppendCallback callback) {
            super(batch, 1, timestamp);
            this.topic = topic;
            this.partition = partition;
            this.permits = permits;
            this.callback = callback;
        }

        @Override
        void acknowledge() {
            if (!settle()) {
                return;
            }
            budget.release(permits);
            tell(callback, new AppendResult(topic, partition, baseOffset, maxTimestamp), null);
            completion.finish();
        }

        @Override
        void fail(TributaryException error) {
            if (!settle()) {
                return;
            }
            budget.release(permits);
            tell(callback, null, error);
            completion.finish();
        }
    }

    /**
     * Calls {@code callback}, logging (WARNING) what it throws instead of letting it out, as the default callback
     * form's future does: a throw must not reach the appending code nor, on the acknowledging thread, stop the other
     * acknowledgements of the sync or the sync thread itself. That includes every {@link Error}, even a
     * {@link VirtualMachineError}: a StackOverflowError from a recursive callback, or an OutOfMemoryError, let out
     * on the sync thread ended it with the partition marked busy, so every later append only queued and
     * {@code flush()} and {@code close()} waited forever. The stack is unwound and the callback's allocations are
     * garbage by the time this catches it, so carrying on is what the future form does too.
     */
    private static void tell(AppendCallback callback, @Nullable AppendResult result, @Nullable TributaryException error) {
        try {
            callback.onCompletion(result, error);
        } catch (Throwable e) {
            try {
                System.getLogger(EmbeddedProducer.class.getName()).log(System.Logger.Level.WARNING, "An AppendCallback"
                        + " threw on being told " + (error == null ? "the result " + result : "the error "
                        + error.code()) + "; ignored (a callback should not throw): " + e, e);
            } catch (Throwable ignored) {
                // out of memory even to log: the acknowledgements must still go on
            }
        }
    }

    @Override
    public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
        checkOpen();
        EmbeddedStorage.TopicState t = storage.topic(topic, true);
        int n = t.partitions.length;
        int count = records.size();
        if (count == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        // Place and check every record before sending any, so bad input fails the whole call.
        int[] partitionOf = new int[count];
        int[] perPartition = new int[n];
        for (int i = 0; i < count; i++) {
            Record r = records.get(i);
            checkSize(t, r);
            byte[] key = r.sharedKey(); // only read, to place the record
            int p = key != null ? KeyPartitioner.partitionForKey(key, n) : Math.floorMod(roundRobin.getAndIncrement(), n);
            partitionOf[i] = p;
            perPartition[p]++;
        }
        int[][] slots = new int[n][];
        for (int p = 0; p < n; p++) {
            slots[p] = new int[perPartition[p]];
        }
        int[] fill = new int[n];
        for (int i = 0; i < count; i++) {
            int p = partitionOf[i];
            slots[p][fill[p]++] = i;
        }
        AppendResult[] results = new AppendResult[count];
        CompletableFuture<List<AppendResult>> all = new CompletableFuture<>();
        inFlight.add(all);
        List<Runnable> submissions = new ArrayList<>();
        AtomicInteger remaining = new AtomicInteger(1); // one extra until every chunk is submitted
        AtomicReference<TributaryException> firstError = new AtomicReference<>();
        Runnable done = () -> {
            if (remaining.decrementAndGet() == 0) {
                TributaryException e = firstError.get();
                if (e != null) {
                    all.completeExceptionally(e);
                } else {
                    all.complete(Arrays.asList(results));
                }
            }
        };
        for (int p = 0; p < n; p++) {
            int[] idx = slots[p];
            int from = 0;
            while (from < idx.length) {
                int to = from;
                long bytes = 0;
                while (to < idx.length && (to == from || bytes < TARGET_BATCH_BYTES)) {
                    bytes += records.get(idx[to]).sizeInBytes() + BatchFormat.RECORD_OVERHEAD;
                    to++;
                }
                List<Record> chunk = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    chunk.add(records.get(idx[i]));
                }
                int[] chunkSlots = Arrays.copyOfRange(idx, from, to);
                int partition = p;
                PartitionLog log = t.partitions[p];
                remaining.incrementAndGet();
                submissions.add(() -> {
                    int permits;
                    byte[] batch;
                    long maxTs = 0;
                    try {
                        batch = BatchFormat.encode(chunk, 0, chunk.size());
                        for (Record r : chunk) {
                            maxTs = Math.max(maxTs, r.timestamp());
                        }
                        permits = acquire(batch.length, t.name);
                    } catch (RuntimeException e) {
                        firstError.compareAndSet(null, asTributary(e));
                        done.run(); // never handed to the log: counted off here, once
                        throw e;
                    }
                    OnceTold a = new OnceTold(batch, chunk.size(), maxTs) {
                        @Override
                        void acknowledge() {
                            if (!settle()) {
                                return;
                            }
                            budget.release(permits);
                            for (int i = 0; i < chunkSlots.length; i++) {
                                results[chunkSlots[i]] = new AppendResult(t.name, partition, baseOffset + i,
                                        chunk.get(i).timestamp());
                            }
                            done.run();
                        }

                        @Override
                        void fail(TributaryException error) {
                            if (!settle()) {
                                return;
                            }
                            budget.release(permits);
                            firstError.compareAndSet(null, error);
                            done.run();
                        }
                    };
                    try {
                        log.submit(a);
                    } catch (RuntimeException e) {
                        // counted off by its own fail, once: the catch below used to count it off as well, and its
                        // acknowledgement or failure from the log a second time, so the whole call could complete
                        // while another chunk was still unsynced
                        a.fail(asTributary(e));
                        throw e;
                    }
                });
                from = to;
            }
        }
        int submitted = 0;
        try {
            for (Runnable s : submissions) {
                s.run();
                submitted++;
            }
        } catch (RuntimeException e) {
            // the chunks after the one that threw (which counted itself off) will never complete: count them off so
            // the future (and flush) finish
            firstError.compareAndSet(null, asTributary(e));
            for (int i = submitted + 1; i < submissions.size(); i++) {
                done.run();
            }
            done.run();
            throw e;
        }
        done.run();
        return all;
    }

    private static TributaryException asTributary(RuntimeException e) {
        return e instanceof TributaryException te ? te
                : new RetriableException(ErrorCode.INTERNAL, "appendAll failed: " + e, e);
    }

    private void checkSize(EmbeddedStorage.TopicState t, Record r) {
        int max = t.maxMessageBytes();
        int size = r.sizeInBytes();
        if (size > max) {
            throw new InvalidRequestException(LogErrors.RECORD_TOO_LARGE, "A record of " + size + " bytes (key + value "
                    + "+ headers) exceeds max.message.bytes=" + max + " of topic '" + t.name + "'; send smaller records "
                    + "(e.g. store the payload elsewhere and send a reference), or raise the limit with "
                    + "alterTopicConfig(\"" + t.name + "\", Map.of(\"max.message.bytes\", \"" + size + "\")).");
        }
    }

    private int acquire(int bytes, String topic) {
        int permits = Math.min(bytes, budgetPermits);
        if (budget.tryAcquire(permits)) {
            return permits;
        }
        boolean got;
        try {
            got = budget.tryAcquire(permits, config.maxBlock().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(LogErrors.PRODUCER_BUFFER_FULL, "Interrupted while waiting for producer '"
                    + config.clientId() + "' buffer space to append to topic '" + topic + "'; retry the append.", e);
        }
        if (!got) {
            throw new RetriableException(LogErrors.PRODUCER_BUFFER_FULL, "Producer '" + config.clientId() + "' has "
                    + config.bufferMemoryBytes() + " bytes of unacknowledged records (bufferMemoryBytes) and no room "
                    + "freed within maxBlock=" + config.maxBlock() + " to append " + bytes + " bytes to topic '" + topic
                    + "'; retry later, slow down, or raise bufferMemoryBytes / maxBlock.");
        }
        return permits;
    }

    /** Test support: the budget's free permits ({@code bufferMemoryBytes} when nothing is in flight). */
    int budgetAvailable() {
        return budget.availablePermits();
    }

    /** Test support: how many appends {@link #flush()} would look at now. */
    int trackedAppends() {
        return inFlight.size();
    }

    private void checkOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "Producer '" + config.clientId() + "' is closed; "
                    + "create a new one with eventLog.producer().");
        }
    }

    @Override
    public void flush() {
        if (PartitionLog.acknowledging()) {
            throw new IllegalStateException("Producer '" + config.clientId() + "': flush() (or close()) was called on "
                    + Thread.currentThread().getName() + " inside an AppendCallback or a stage of an append's future "
                    + "run by the embedded log; it would wait for "
                    + "acknowledgements only that thread can make, the callback's own append included. Flush from "
                    + "the appending code, or hand the work to another thread.");
        }
        inFlight.awaitAll();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        onClose.run();
    }
}
