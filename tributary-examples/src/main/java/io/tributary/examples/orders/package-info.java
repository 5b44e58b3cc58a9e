/**
 * The Orders service: the event-sourced {@link io.tributary.examples.orders.Order} aggregate in the event store, the
 * forwarder that publishes its events to the {@code orders} topic, and the {@link io.tributary.examples.orders.PaymentSaga}
 * that confirms or cancels orders from the {@code payments} topic.
 */
@NullMarked
package io.tributary.examples.orders;

import org.jspecify.annotations.NullMarked;
