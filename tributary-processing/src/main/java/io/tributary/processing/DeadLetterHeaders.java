package io.tributary.processing;

/**
 * Names and values of the headers a processor writes on dead-letter and action records; {@code docs/processing.md}
 * describes the record format. A dead-letter record keeps the original key, value, timestamp and headers, and appends
 * these headers (times are ISO-8601 instants, numbers decimal, all UTF-8).
 */
public final class DeadLetterHeaders {

    /** Prefix of every header the processor adds; such headers are removed again when an entry is redriven. */
    public static final String PREFIX = "tributary.dlq.";

    /** The entry's id: {@code <topic>-<partition>@<offset>} of the original event, stable across redrives. */
    public static final String ENTRY_ID = PREFIX + "entry-id";
    /** {@link #DEAD}, {@link #PARKED}, or a closing status: {@link #REDRIVEN}, {@link #SKIPPED}, {@link #PURGED}. */
    public static final String STATUS = PREFIX + "status";
    /** The processor (consumer group) that wrote the record. */
    public static final String PROCESSOR = PREFIX + "processor";
    public static final String ORIGINAL_TOPIC = PREFIX + "original-topic";
    public static final String ORIGINAL_PARTITION = PREFIX + "original-partition";
    public static final String ORIGINAL_OFFSET = PREFIX + "original-offset";
    /** The original event's timestamp, milliseconds since the epoch. */
    public static final String ORIGINAL_TIMESTAMP = PREFIX + "original-timestamp";
    /** Class name of the last attempt's exception (dead entries only). */
    public static final String EXCEPTION_CLASS = PREFIX + "exception-class";
    /** Message of the last attempt's exception, possibly empty (dead entries only). */
    public static final String EXCEPTION_MESSAGE = PREFIX + "exception-message";
    /** Attempts made, counting earlier redrives of the same entry (dead entries only). */
    public static final String ATTEMPTS = PREFIX + "attempts";
    public static final String FIRST_FAILURE_AT = PREFIX + "first-failure-at";
    public static final String LAST_FAILURE_AT = PREFIX + "last-failure-at";
    /** For a parked entry: the id of the dead entry of its key that it waits behind. */
    public static final String PARKED_BEHIND = PREFIX + "parked-behind";

    /** On an action record: {@code redrive}, {@code skip} or {@code purge}. */
    public static final String ACTION = PREFIX + "action";
    /** On an action record: {@code entry}, {@code key} or {@code all}. */
    public static final String SELECTION = PREFIX + "selection";
    /** On an action record: the entry id, or the key in Base64; absent for {@code all}. */
    public static final String TARGET = PREFIX + "target";
    /**
     * On an action record: the dead-letter topic's end offsets when the action was requested, as
     * {@code partition:offset,...}; the action applies only to entry records below them.
     */
    public static final String WATERMARK = PREFIX + "watermark";
    public static final String REQUESTED_AT = PREFIX + "requested-at";
    /** On an action record: how many open entries it selected when requested. */
    public static final String ENTRIES = PREFIX + "entries";

    public static final String DEAD = "dead";
    public static final String PARKED = "parked";
    public static final String REDRIVEN = "redriven";
    public static final String SKIPPED = "skipped";
    public static final String PURGED = "purged";

    private DeadLetterHeaders() {
    }
}
