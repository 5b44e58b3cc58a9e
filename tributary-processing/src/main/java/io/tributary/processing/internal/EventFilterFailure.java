package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import io.tributary.processing.ProcessorFailure;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The failure of a processor whose {@link io.tributary.processing.ProcessorConfig#eventFilter()} threw. A filter runs on
 * the poll loop, outside any handler call, so there is nothing to retry or dead-letter: the processor stops, naming
 * the filter and the event it threw on, rather than reporting a log failure (or, transactional, reading the same
 * events again forever). Stateless.
 */
final class EventFilterFailure {

    private EventFilterFailure() {
    }

    /** Tests {@code event}; a throw comes back as {@link Thrown}, carrying the processor's failure. */
    static boolean accepts(String processor, Predicate<LogRecord> filter, LogRecord event) {
        try {
            return filter.test(event);
        } catch (RuntimeException e) {
            throw new Thrown(of(processor, filter, event, e));
        }
    }

    /** The processor's failure: {@code filter} threw {@code cause} on {@code event}. */
    static ProcessorFailure of(String processor, Predicate<LogRecord> filter, LogRecord event, Throwable cause) {
        return new ProcessorFailure("Processor '" + processor + "' stopped because its event filter (" + filter
                + ") threw on " + event.topic() + "/" + event.partition() + "@" + event.offset() + ": " + cause
                + ". An event filter must not throw (it runs on the poll loop for every fetched event: test a header "
                + "such as the event type, not the payload); fix the filter and start the processor again (the event "
                + "and those after it were not handled or committed)", cause,
                Optional.of(event.topicPartition()), OptionalLong.of(event.offset()), 0);
    }

    /** An event filter threw; {@link #failure} says which, on which event. */
    static final class Thrown extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final transient ProcessorFailure failure;

        Thrown(ProcessorFailure failure) {
            super(failure.message(), failure.cause());
            this.failure = failure;
        }

        ProcessorFailure failure() {
            return failure;
        }
    }
}
