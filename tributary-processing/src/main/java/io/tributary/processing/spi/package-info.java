/**
 * Service-provider interfaces of the processing runtime: what a pluggable part must implement. Today that is the
 * {@link io.tributary.processing.spi.DedupeStore}; each implementation passes the one conformance kit
 * ({@code DedupeStoreKit} in this module's test sources) unchanged.
 */
@NullMarked
package io.tributary.processing.spi;

import org.jspecify.annotations.NullMarked;
