package io.tributary.eventstore;

/**
 * How the PostgreSQL backend assigns global positions so that {@code $all} never skips an event. Both are correct
 * under out-of-order commits; they differ in throughput (see docs/eventstore.md for measured figures).
 */
public enum PositionStrategy {
    /**
     * Position = (transaction id {@code << 20}) + index; readers only read below the oldest running transaction
     * ({@code pg_snapshot_xmin}). Appends to different streams commit in parallel and share WAL flushes. A
     * long-running transaction elsewhere in the cluster delays (never breaks) delivery. The default.
     */
    TRANSACTION_ID,
    /**
     * Position taken from a single counter row updated inside the append: commit order equals position order, and
     * positions are dense, but every append waits for the previous one's commit (no group commit).
     */
    SERIALISED
}
