/**
 * The service-provider interface of the event store: a backend registers an
 * {@link io.tributary.eventstore.spi.EventStoreProvider} with {@link java.util.ServiceLoader} and passes the
 * conformance kit ({@code EventStoreConformanceKit} in this module's test jar) unchanged.
 */
@NullMarked
package io.tributary.eventstore.spi;

import org.jspecify.annotations.NullMarked;
