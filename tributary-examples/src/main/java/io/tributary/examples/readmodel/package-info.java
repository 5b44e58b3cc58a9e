/**
 * The read side (CQRS): an order-summary read model in JDBC tables, kept up to date from the {@code orders} topic by
 * {@link io.tributary.examples.readmodel.OrderSummaryProjection} and read by
 * {@link io.tributary.examples.readmodel.OrderSummaryQueries}.
 */
@NullMarked
package io.tributary.examples.readmodel;

import org.jspecify.annotations.NullMarked;
