package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;

/**
 * Which threads run a processor's handler calls ({@link ProcessorConfig#handlerThreads()}). Either way the poll loop
 * runs on its own platform thread, calls of one key never overlap, and a thread is reused from call to call.
 *
 * <ul>
 *   <li>{@link #virtual()} (the default): a virtual thread per call in flight, so as many calls run at once as
 *       {@link ProcessorConfig#concurrencyPerPartition()} allows over the owned partitions. Suits handlers that mostly
 *       wait on I/O (a remote database, an HTTP call): a waiting call frees its carrier.</li>
 *   <li>{@link #platform(int)}: at most {@code threads} platform threads; further ready calls queue (in the order the
 *       poll loop dispatched them) until one is free. Suits handlers that compute in the process (an in-memory
 *       database such as embedded H2, heavy serialization): a virtual thread keeps its carrier while it computes,
 *       and with as many carriers as cores every other virtual thread of the process, including other stages'
 *       short waits, queues behind it; platform threads are time-sliced by the operating system instead.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface HandlerThreads {

    /** A reused virtual thread per handler call in flight. */
    static HandlerThreads virtual() {
        return Virtual.INSTANCE;
    }

    /**
     * At most {@code threads} platform threads, started as needed and kept until the processor closes.
     *
     * @throws InvalidRequestException {@code INVALID_CONFIG} if {@code threads} is below 1
     */
    static HandlerThreads platform(int threads) {
        return new Platform(threads);
    }

    /** Virtual threads, one per call in flight. */
    record Virtual() implements HandlerThreads {
        static final Virtual INSTANCE = new Virtual();

        @Override
        public String toString() {
            return "virtual";
        }
    }

    /**
     * A bounded pool of platform threads.
     *
     * @param threads most handler calls running at once in this processor (over all its partitions), at least 1
     */
    record Platform(int threads) implements HandlerThreads {
        public Platform {
            if (threads < 1) {
                throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "HandlerThreads.platform(" + threads
                        + "): threads must be at least 1; pass the most handler calls that may run at once, e.g. "
                        + "the number of cores, or use HandlerThreads.virtual()");
            }
        }

        @Override
        public String toString() {
            return "platform(" + threads + ")";
        }
    }
}
