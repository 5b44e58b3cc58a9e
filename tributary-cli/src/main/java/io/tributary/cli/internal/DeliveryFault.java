package io.tributary.cli.internal;

/**
 * A fault the demo can inject between the log and its {@link DeliveryCheck}, once, to show that the check catches
 * what it claims to: a redelivered event, a lost one, or two events of a key swapped.
 */
public enum DeliveryFault {
    /** Deliver everything as read. */
    NONE,
    /** Hand one event to the check twice. */
    DUPLICATE,
    /** Withhold one event from the check. */
    DROP,
    /** Hand one event to the check after the next event of the same key. */
    REORDER
}
