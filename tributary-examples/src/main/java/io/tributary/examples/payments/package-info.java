/**
 * The Payments service: state-based and relational. It consumes {@code OrderPlaced} from the {@code orders} topic,
 * and in one database transaction marks the event in the inbox, writes the payment row and adds
 * {@code PaymentSucceeded}/{@code PaymentFailed} to the outbox; an {@link io.tributary.outbox.OutboxRelay} publishes
 * the outbox to the {@code payments} topic.
 */
@NullMarked
package io.tributary.examples.payments;

import org.jspecify.annotations.NullMarked;
