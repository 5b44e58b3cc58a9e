package io.tributary.bench.internal;

import io.tributary.core.Record;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.LogProducer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Asynchronous appends through one {@link LogProducer} with at most {@code maxInFlight} records unacknowledged: an
 * append first waits while the bound is reached. Failed acknowledgements are counted (and the first kept), by one
 * shared callback for single appends, so counting does not allocate per record. The benchmarks' producer side on our
 * API: the log suite's {@link EventLogClient} and the pipeline suite's feed.
 *
 * <p><b>Thread-safety:</b> safe from several threads (the producer is); the bound is shared.
 */
public final class BoundedAppends implements AutoCloseable {

    private final LogProducer producer;
    private final int maxInFlight;
    private final Semaphore inFlight;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<@Nullable Throwable> first = new AtomicReference<>();
    private final BiConsumer<AppendResult, @Nullable Throwable> onDone;
    /** The one callback of every {@link #appendWithCallback}: shared, as Kafka's users share one {@code Callback}. */
    private final AppendCallback onAppended;

    /**
     * @param producer    closed with this object
     * @param maxInFlight most records unacknowledged at once, at least 1
     */
    public BoundedAppends(LogProducer producer, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight " + maxInFlight + " must be at least 1");
        }
        this.producer = producer;
        this.maxInFlight = maxInFlight;
        this.inFlight = new Semaphore(maxInFlight);
        this.onDone = (r, e) -> {
            inFlight.release();
            if (e != null) {
                failed(1, e);
            }
        };
        this.onAppended = (r, e) -> {
            inFlight.release();
            if (e != null) {
                failed(1, e);
            }
        };
    }

    /** The producer, for appends that wait for their own acknowledgement. */
    public LogProducer producer() {
        return producer;
    }

    /** Appends to {@code partition}, or where the producer places it when {@code partition < 0}. */
    public void append(String topic, int partition, Record record) {
        inFlight.acquireUninterruptibly();
        CompletableFuture<AppendResult> f;
        try {
            f = partition < 0 ? producer.append(topic, record) : producer.append(topic, partition, record);
        } catch (RuntimeException e) {
            inFlight.release();
            throw e;
        }
        f.whenComplete(onDone);
    }

    /**
     * Appends as {@link #append} through the callback form ({@link LogProducer#append(String, Record, AppendCallback)})
     * with one shared callback: no future and no completion stage per record. A refusal known before sending comes to
     * the callback too, so it is counted as a failure instead of thrown.
     */
    public void appendWithCallback(String topic, int partition, Record record) {
        inFlight.acquireUninterruptibly();
        try {
            if (partition < 0) {
                producer.append(topic, record, onAppended);
            } else {
                producer.append(topic, partition, record, onAppended);
            }
        } catch (RuntimeException e) {
            inFlight.release(); // not a refusal (those go to the callback) but a bug: the callback was not called
            throw e;
        }
    }

    /**
     * Appends the records in one {@link LogProducer#appendAll} call; they count as {@code records.size()} against the
     * bound until the whole call is acknowledged. A call of more records than the bound counts as the whole bound (it
     * waits until nothing else is in flight): waiting for more permits than the semaphore has would never return.
     */
    public void appendAll(String topic, List<Record> records) {
        int count = records.size();
        int permits = Math.min(count, maxInFlight);
        inFlight.acquireUninterruptibly(permits);
        CompletableFuture<List<AppendResult>> f;
        try {
            f = producer.appendAll(topic, records);
        } catch (RuntimeException e) {
            inFlight.release(permits);
            throw e;
        }
        f.whenComplete((r, e) -> {
            inFlight.release(permits);
            if (e != null) {
                failed(count, e);
            }
        });
    }

    private void failed(int records, Throwable e) {
        failures.addAndGet(records);
        first.compareAndSet(null, e);
    }

    /** Blocks until every record appended so far is acknowledged or failed. */
    public void flush() {
        producer.flush();
    }

    /** Records whose append failed so far. */
    public long failures() {
        return failures.get();
    }

    public Optional<Throwable> firstFailure() {
        return Optional.ofNullable(first.get());
    }

    /** Flushes and closes the producer. */
    @Override
    public void close() {
        producer.close();
    }
}
