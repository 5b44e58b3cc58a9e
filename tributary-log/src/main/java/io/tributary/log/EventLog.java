package io.tributary.log;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.Set;

/**
 * A partitioned, durable, replayable event log: the entry point of the API. Obtain one from
 * {@link EventLogs#open(java.util.Map)}.
 *
 * <p>Thread-safe. Producers, consumers and the admin it hands out are tied to it: closing the log closes them.
 */
public interface EventLog extends AutoCloseable {

    /** The backend's name, e.g. {@code embedded} or {@code kafka}. */
    String backend();

    /** What this backend supports beyond the core. */
    Set<Capability> capabilities();

    LogAdmin admin();

    LogProducer producer(ProducerConfig config);

    default LogProducer producer() {
        return producer(ProducerConfig.defaults());
    }

    LogConsumer consumer(ConsumerConfig config);

    /**
     * A transactional producer with a stable {@code transactionalId} (one live instance per id: a new one fences
     * the old). Fails with {@code CAPABILITY_UNSUPPORTED} unless {@link Capability#TRANSACTIONS} is declared.
     */
    default TransactionalProducer transactionalProducer(String transactionalId, ProducerConfig config) {
        throw unsupported(Capability.TRANSACTIONS);
    }

    /** Closes every producer and consumer it handed out, then the log. Idempotent. */
    @Override
    void close();

    /** The error a backend throws when asked for a capability it does not declare. */
    default InvalidRequestException unsupported(Capability capability) {
        return new InvalidRequestException(ErrorCode.CAPABILITY_UNSUPPORTED, "The '" + backend()
                + "' backend does not support " + capability + "; use a backend that declares it (e.g. "
                + "tributary.log.backend=kafka for TRANSACTIONS).");
    }
}
