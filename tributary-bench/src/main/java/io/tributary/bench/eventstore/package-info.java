/** {@code tributary bench eventstore}: append, rehydrate and catch-up figures of both event store backends. */
@NullMarked
package io.tributary.bench.eventstore;

import org.jspecify.annotations.NullMarked;
