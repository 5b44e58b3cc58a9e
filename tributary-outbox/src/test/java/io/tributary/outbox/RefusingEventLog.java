package io.tributary.outbox;

import io.tributary.core.ErrorCode;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A real event log that can be told to refuse appends for a while, as a broker outage would, or to accept the appends
 * of one key and then fail their acknowledgement (a partition whose leader is gone while others are fine).
 */
final class RefusingEventLog implements EventLog {

    final AtomicBoolean refusing = new AtomicBoolean();
    /** Appends with this key are accepted and then fail with a transient error; null: none. */
    final AtomicReference<byte @Nullable []> unacknowledgedKey = new AtomicReference<>();
    private final EventLog delegate;

    RefusingEventLog(EventLog delegate) {
        this.delegate = delegate;
    }

    @Override
    public String backend() {
        return delegate.backend();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public LogAdmin admin() {
        return delegate.admin();
    }

    @Override
    public LogConsumer consumer(ConsumerConfig config) {
        return delegate.consumer(config);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public LogProducer producer(ProducerConfig config) {
        LogProducer p = delegate.producer(config);
        return new LogProducer() {
            private void check() {
                if (refusing.get()) {
                    throw new RetriableException(ErrorCode.UNAVAILABLE, "The log is down (test outage); retry later.");
                }
            }

            @Override
            public CompletableFuture<AppendResult> append(String topic, Record record) {
                check();
                byte[] nack = unacknowledgedKey.get();
                if (nack != null && record.key() != null && Arrays.equals(nack, record.key())) {
                    return CompletableFuture.failedFuture(new RetriableException(ErrorCode.UNAVAILABLE,
                            "The partition of this key lost its leader (test outage); retry later."));
                }
                return p.append(topic, record);
            }

            @Override
            public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
                check();
                return p.append(topic, partition, record);
            }

            @Override
            public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
                check();
                return p.appendAll(topic, records);
            }

            @Override
            public void flush() {
                p.flush();
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }
}
