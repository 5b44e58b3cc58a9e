package io.tributary.core;

/**
 * The header names every Tributary module reads and writes. They are a wire contract: records written by one module
 * (or one version) are read by others, so these strings never change.
 *
 * <p>Typed accessors live on {@link Headers} ({@link Headers#eventId()}, {@link Headers#correlationId()}, …).
 */
public final class StandardHeaders {

    /** The event's unique id, a UUIDv7 in its canonical text form. */
    public static final String EVENT_ID = "tributary-event-id";
    /** The event's type name, e.g. {@code OrderPlaced}. */
    public static final String EVENT_TYPE = "tributary-event-type";
    /** The MIME type of the value, e.g. {@code application/json} or {@code application/vnd.apache.avro+binary}. */
    public static final String CONTENT_TYPE = "tributary-content-type";
    /** The schema registry id of the value's schema, in decimal. */
    public static final String SCHEMA_ID = "tributary-schema-id";
    /** The id shared by every event caused, directly or not, by one originating request. */
    public static final String CORRELATION_ID = "tributary-correlation-id";
    /** The event id of the event that directly caused this one. */
    public static final String CAUSATION_ID = "tributary-causation-id";
    /** The W3C Trace Context {@code traceparent} of the span that produced the event. */
    public static final String TRACEPARENT = "traceparent";

    private StandardHeaders() {
    }
}
