package io.tributary.processing.internal;

import io.tributary.core.Record;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.LogProducer;
import io.tributary.processing.ProcessingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link LogProducer} that stamps records appended on a thread with a bound {@link ProcessingContext} (ids and
 * traceparent, where absent) and passes every other record through unchanged. Thread-safe as its delegate is; order
 * and durability are the delegate's, since every call maps to exactly one delegate call.
 */
public class CorrelatingProducer implements LogProducer {

    private final LogProducer delegate;

    public CorrelatingProducer(LogProducer delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    static Record stamped(Record record) {
        Optional<ProcessingContext> context = ProcessingContext.current();
        return context.isPresent() ? context.get().stamp(record) : record;
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, Record record) {
        return delegate.append(topic, stamped(record));
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
        return delegate.append(topic, partition, stamped(record));
    }

    /** Forwarded to the delegate's callback form, so a backend's cheaper path (Kafka: no future) is kept. */
    @Override
    public void append(String topic, Record record, AppendCallback callback) {
        delegate.append(topic, stamped(record), callback);
    }

    /** As {@link #append(String, Record, AppendCallback)}, to an explicit partition. */
    @Override
    public void append(String topic, int partition, Record record, AppendCallback callback) {
        delegate.append(topic, partition, stamped(record), callback);
    }

    @Override
    public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
        if (ProcessingContext.current().isEmpty()) {
            return delegate.appendAll(topic, records);
        }
        List<Record> out = new ArrayList<>(records.size());
        for (Record r : records) {
            out.add(stamped(r));
        }
        return delegate.appendAll(topic, out);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
