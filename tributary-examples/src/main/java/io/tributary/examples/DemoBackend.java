package io.tributary.examples;

/** Where the demo's topics live. The event store is always the embedded one. */
public enum DemoBackend {
    /** Tributary's embedded log engine, in the demo's data folder: nothing to install. */
    EMBEDDED,
    /** Apache Kafka: an in-JVM broker from tributary-testbroker, or an external cluster given by its bootstrap address. */
    KAFKA
}
