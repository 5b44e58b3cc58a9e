/** The embedded backend: the event store on Tributary's own log engine, through the EventLog API. Not an API. */
@NullMarked
package io.tributary.eventstore.internal.embedded;

import org.jspecify.annotations.NullMarked;
