package io.tributary.log;

/** A consumer group's state, with Kafka's classic-protocol names. */
public enum GroupState {
    /** No members; committed offsets may exist. */
    EMPTY,
    /** Members are joining; assignments are being recomputed. */
    PREPARING_REBALANCE,
    /** Assignments are computed and being handed out. */
    COMPLETING_REBALANCE,
    /** Every member has its assignment. */
    STABLE,
    /** The group no longer exists. */
    DEAD
}
