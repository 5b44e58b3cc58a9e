package io.tributary.log;

import io.tributary.core.Record;
import java.util.List;
import java.util.concurrent.CompletableFuture;

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
 * exceptionally with a {@link io.tributary.core.TributaryException}.
 */
public interface LogProducer extends AutoCloseable {

    /** Appends to the partition chosen by the record's key ({@link KeyPartitioner}), or spread evenly if keyless. */
    CompletableFuture<AppendResult> append(String topic, Record record);

    /** Appends to an explicit partition. */
    CompletableFuture<AppendResult> append(String topic, int partition, Record record);

    /**
     * Appends several records, each placed as by {@link #append(String, Record)}. Records for one partition keep
     * their list order; the future completes when all are acknowledged, with results in list order. There is no
     * atomicity across records: on failure some may be stored.
     */
    CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records);

    /** Blocks until every record appended before this call is acknowledged or failed. */
    void flush();

    /** Flushes, then releases resources. Further appends throw with code {@code CLOSED}. Idempotent. */
    @Override
    void close();
}
