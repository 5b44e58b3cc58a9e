package io.tributary.log;

import io.tributary.core.TributaryException;
import org.jspecify.annotations.Nullable;

/**
 * Told the outcome of one {@link LogProducer#append(String, io.tributary.core.Record, AppendCallback)}: the
 * callback form of {@code append}, as Kafka's {@code send(record, callback)}. It costs less than the future-returning
 * form on a backend that supports it directly (Kafka): no future per record and no completion stage of the caller's,
 * and one callback object may serve every append.
 *
 * <p><b>Exactly once:</b> called once per accepted call with exactly one of {@code result} and {@code error} non-null.
 * Every error comes here, including those known before anything is sent (closed producer, unknown topic, partition
 * out of range, record too large, buffer full after {@code maxBlock}): those are delivered on the calling thread
 * before {@code append} returns, the rest later.
 *
 * <p><b>Threads:</b> called on the backend's completion thread (Kafka: the producer's single I/O thread; embedded:
 * the thread that acknowledged the write), or on the calling thread for an error known before sending. One callback
 * object passed by several appends may therefore run concurrently on the I/O thread and on appending threads: it
 * must be thread-safe. It must return quickly and never block, and must not append or flush from inside: on Kafka it
 * holds up every other acknowledgement of the producer, and a flush there would wait for itself. It should not throw;
 * what it throws is logged (WARNING) and otherwise ignored: it never escapes {@code append}, the callback is not
 * called again, and other appends are unaffected.
 *
 * <p><b>Ordering:</b> results (acknowledgements and failures after sending) arrive in offset order per partition;
 * on Kafka this holds with idempotence on, the default (without it, a retried batch may overtake a later one). A
 * refusal known before sending is told at once, on the calling thread, so it may arrive before the results of
 * earlier appends. No order holds across partitions.
 *
 * <p><b>Durability:</b> a {@code result} means the record is acknowledged under the topic's {@link Durability}, as
 * when the future of {@link LogProducer#append(String, io.tributary.core.Record)} completes.
 */
@FunctionalInterface
public interface AppendCallback {

    /**
     * @param result where the record landed, or {@code null} if it failed
     * @param error  why it failed, or {@code null} if it was acknowledged
     */
    void onCompletion(@Nullable AppendResult result, @Nullable TributaryException error);
}
