/**
 * The EventLog conformance kit: {@link io.tributary.log.tck.EventLogConformanceKit}, one abstract JUnit 5 suite that
 * every backend of the EventLog API extends unchanged, supplying only a factory and timing hints.
 *
 * <p>Everything else here supports the kit's tests and is not API.
 */
@NullMarked
package io.tributary.log.tck;

import org.jspecify.annotations.NullMarked;
