package io.tributary.log;

import io.tributary.core.ErrorCode;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * Appends records to topics.
 *
 * <p><b>Thread-safety:</b> safe for use by many threads at once; sharing one producer is cheaper than one each.
 * <p><b>Ordering:</b> records appended by one thread to one partition are stored in call order. Records from several
 * threads to one partition are stored in the order the log received them; each thread's own order is kept.
 * <p><b>Durability:</b> a future completes when the record is acknowledged under the topic's {@link Durability}.
 * <p><b>Back-pressure:</b> at most {@link ProducerConfig#bufferMemoryBytes()} of unacknowledged records are held;
 * when full, {@code append} blocks up to {@link ProducerConfig#maxBlock()} and then fails with a
 * {@link io.tributary.core.RetriableException} ({@link LogErrors#PRODUCER_BUFFER_FULL}).
 * <p><b>Errors</b> known before sending (unknown topic, partition out of range, record over
 * {@code max.message.bytes}) are thrown by the call itself; errors after (I/O, broker down) complete the future
 * exceptionally with a {@link io.tributary.core.TributaryException}. The callback form
 * ({@link #append(String, Record, AppendCallback)}) delivers every error, known before sending or not, to the callback.
 */
public interface LogProducer extends AutoCloseable {

    /** Appends to the partition chosen by the record's key ({@link KeyPartitioner}), or spread evenly if keyless. */
    CompletableFuture<AppendResult> append(String topic, Record record);

    /** Appends to an explicit partition. */
    CompletableFuture<AppendResult> append(String topic, int partition, Record record);

    /**
     * Appends as {@link #append(String, Record)} and tells {@code callback} the outcome instead of returning a future,
     * as Kafka's {@code send(record, callback)}: the cheaper form where a backend supports it directly (Kafka: no
     * future per record, and one callback may serve every append). The callback is called exactly once, with every
     * error, including those known before sending (then on the calling thread before this returns); see
     * {@link AppendCallback} for its thread and ordering. Ordering and durability are those of
     * {@link #append(String, Record)}; with back-pressure this call blocks as that one does.
     *
     * <p>This default bridges from the future-returning form (one future per record, as before) so that every
     * backend and every wrapping producer has the method; backends override it to skip the future.
     */
    default void append(String topic, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        CompletableFuture<AppendResult> f;
        try {
            f = append(topic, record);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        f.whenComplete((r, e) -> tell(callback, e == null ? r : null, e == null ? null : asLogError(e)));
    }

    /** {@link #append(String, int, Record)} in the callback form of {@link #append(String, Record, AppendCallback)}. */
    default void append(String topic, int partition, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        CompletableFuture<AppendResult> f;
        try {
            f = append(topic, partition, record);
        } catch (TributaryException e) {
            tell(callback, null, e);
            return;
        }
        f.whenComplete((r, e) -> tell(callback, e == null ? r : null, e == null ? null : asLogError(e)));
    }

    /**
     * Appends several records, each placed as by {@link #append(String, Record)}. Records for one partition keep
     * their list order; the future completes when all are acknowledged, with results in list order. There is no
     * atomicity across records: on failure some may be stored.
     */
    CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records);

    /** Blocks until every record appended before this call is acknowledged or failed. */
    void flush();

    /**
     * Calls {@code callback}, logging (WARNING) what it throws instead of letting it out: a refusal's callback runs
     * inside {@code append}, and its exception must neither reach the appending code (which was promised the callback,
     * not a throw) nor make a caller that catches it call the callback a second time; a result's callback runs on a
     * completion thread, where a throw would be lost without a trace.
     */
    private static void tell(AppendCallback callback, @Nullable AppendResult result, @Nullable TributaryException error) {
        try {
            callback.onCompletion(result, error);
        } catch (RuntimeException e) {
            System.getLogger(LogProducer.class.getName()).log(System.Logger.Level.WARNING, "An AppendCallback threw "
                    + "on being told " + (error == null ? "the result " + result : "the error " + error.code())
                    + "; ignored (a callback should not throw): " + e, e);
        }
    }

    /**
     * A failed append's error as the callback form delivers it: the future's {@link TributaryException} as it is
     * (unwrapped from a {@link CompletionException} if a stage wrapped it); anything else, which a producer should
     * never complete its future with, as {@link ErrorCode#INTERNAL}, so a callback always gets our exception type.
     */
    private static TributaryException asLogError(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof TributaryException te) {
            return te;
        }
        return new RetriableException(ErrorCode.INTERNAL, "An append failed with " + t + ", not a Tributary error; "
                + "the record may or may not be stored. This is a bug of the producer: report it with the stack trace.",
                t);
    }

    /** Flushes, then releases resources. Further appends throw with code {@code CLOSED}. Idempotent. */
    @Override
    void close();
}
