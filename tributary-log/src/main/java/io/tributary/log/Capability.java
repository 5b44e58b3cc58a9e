package io.tributary.log;

/**
 * What a backend can do beyond the core (topics, append, read by offset). A backend lists its capabilities in
 * {@link EventLog#capabilities()}; using one it lacks throws an {@link io.tributary.core.InvalidRequestException}
 * with code {@link io.tributary.core.ErrorCode#CAPABILITY_UNSUPPORTED}, never a silent no-op. The conformance kit
 * checks both sides: declared capabilities work, undeclared ones fail loudly.
 */
public enum Capability {
    /** Consumer groups with rebalancing and committed offsets. */
    CONSUMER_GROUPS,
    /** Seek and reset by timestamp. */
    TIMESTAMP_SEEK,
    /** {@code retention.ms} and {@code retention.bytes}. */
    RETENTION,
    /** {@code cleanup.policy=compact}. */
    COMPACTION,
    /** The {@code fsync} durability modes. */
    DURABILITY_MODES,
    /** Transactional producers and {@code read_committed} consumers. */
    TRANSACTIONS
}
