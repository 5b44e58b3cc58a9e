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
 * the thread that acknowledged the write), or on the calling thread for an error known before sending. It must
 * return quickly and never block: on Kafka it delays every other acknowledgement of the producer. It should not
 * throw; what it throws is not reported to anyone (Kafka logs it) and does not affect other appends.
 *
 * <p><b>Ordering:</b> for records appended to one partition by one thread, callbacks run in append order (offset
 * order). No order holds across partitions.
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
