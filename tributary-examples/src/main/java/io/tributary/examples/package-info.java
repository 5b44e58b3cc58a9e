/**
 * The order-fulfilment reference application that {@code tributary demo} runs: event sourcing, CQRS, outbox and
 * inbox, schema evolution, partitioned micro-batched processing, parking and redrive of poison events, a crash and
 * restart of a processor, and checks that prove the guarantees held. {@link io.tributary.examples.OrderFulfilmentDemo}
 * wires the services of the sub-packages together; docs/demo.md walks through the code.
 */
@NullMarked
package io.tributary.examples;

import org.jspecify.annotations.NullMarked;
