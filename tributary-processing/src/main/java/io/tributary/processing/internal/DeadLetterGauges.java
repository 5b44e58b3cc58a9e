package io.tributary.processing.internal;

/**
 * What the dead-letter gauges of a processor read. The runtime supplies one once it keeps a dead-letter queue; without
 * one, the gauges are not registered at all (rather than reporting a made-up 0). Called from the meter registry's
 * threads, so implementations must be thread-safe and cheap (an in-memory count, no I/O).
 */
public interface DeadLetterGauges {

    /** Entries in the processor's dead-letter queue awaiting an operator (parked events included). */
    long depth();

    /** Keys whose later events are parked behind a dead-lettered one. */
    long parkedKeys();
}
