/**
 * How the benchmark suites work: the figures they report, the clients they drive (our EventLog SPI, raw
 * kafka-clients) and the child JVMs they spawn (first durable append, Chronicle Queue). Not an API.
 */
@NullMarked
package io.tributary.bench.internal;

import org.jspecify.annotations.NullMarked;
