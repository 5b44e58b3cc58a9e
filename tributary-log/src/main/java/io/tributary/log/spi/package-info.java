/**
 * The service-provider interface for EventLog backends. A backend implements {@link io.tributary.log.EventLog} and
 * its parts, registers an {@link io.tributary.log.spi.EventLogProvider} in
 * {@code META-INF/services/io.tributary.log.spi.EventLogProvider}, and proves itself by extending the conformance kit
 * ({@code tributary-log-tck}) unchanged.
 */
@NullMarked
package io.tributary.log.spi;

import org.jspecify.annotations.NullMarked;
