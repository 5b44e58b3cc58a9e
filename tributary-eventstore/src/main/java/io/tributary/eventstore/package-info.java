/**
 * The event store for event sourcing: streams of events with strict per-stream order, optimistic concurrency,
 * idempotent appends, a global order that never skips ({@code $all}), catch-up subscriptions, stream metadata
 * (max age, max count, truncate-before), soft and hard delete, snapshots, temporal queries, and a small Decider-style
 * aggregate API on top.
 *
 * <p>Open a store with {@link io.tributary.eventstore.EventStores}: {@code embedded} (on Tributary's own log engine)
 * or {@code postgres} (plain JDBC). Both pass one conformance kit, so switching is a change of settings only.
 */
@NullMarked
package io.tributary.eventstore;

import org.jspecify.annotations.NullMarked;
