package io.tributary.bench.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;

/**
 * {@link BoundedAppends} for a plain {@link KafkaProducer}: asynchronous sends with at most {@code maxInFlight}
 * unacknowledged (a send first waits while the bound is reached), failures counted by one shared callback. The peer's
 * producer side in the log suite ({@link KafkaClientsClient}) and the pipeline suite's poll-loop system.
 *
 * <p><b>Thread-safety:</b> safe from several threads (the producer is); the bound is shared.
 */
public final class BoundedKafkaSends implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final Semaphore inFlight;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<@Nullable Throwable> first = new AtomicReference<>();
    private final Callback onDone;

    /** @param producer closed with this object */
    public BoundedKafkaSends(KafkaProducer<byte[], byte[]> producer, int maxInFlight) {
        this.producer = producer;
        this.inFlight = new Semaphore(maxInFlight);
        this.onDone = (m, e) -> {
            inFlight.release();
            if (e != null) {
                failures.incrementAndGet();
                first.compareAndSet(null, e);
            }
        };
    }

    /** The producer, for sends that wait for their own acknowledgement. */
    public KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    /** Sends; the producer serialises key and value into its batch before returning, so the caller may reuse them. */
    public void send(ProducerRecord<byte[], byte[]> record) {
        inFlight.acquireUninterruptibly();
        try {
            producer.send(record, onDone);
        } catch (RuntimeException e) {
            inFlight.release();
            throw e;
        }
    }

    /** Blocks until every record sent so far is acknowledged or failed. */
    public void flush() {
        producer.flush();
    }

    /** Sends that failed so far. */
    public long failures() {
        return failures.get();
    }

    public Optional<Throwable> firstFailure() {
        return Optional.ofNullable(first.get());
    }

    /** Flushes and closes the producer (waiting up to 10 s). */
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
