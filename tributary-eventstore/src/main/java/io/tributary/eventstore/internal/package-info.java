/** Implementation details of the event store: backends, the subscription runner, codecs. Not an API. */
@NullMarked
package io.tributary.eventstore.internal;

import org.jspecify.annotations.NullMarked;
