package io.tributary.examples.orders;

import io.tributary.eventstore.Decider;
import io.tributary.eventstore.Decision;
import java.util.Objects;

/**
 * The order aggregate, Decider style: {@link #decide} turns a command and the current state into events (or a
 * rejection), {@link #evolve} folds an event into the state. Pure functions: the
 * {@link io.tributary.eventstore.AggregateRepository} loads, decides, appends with optimistic concurrency, and retries
 * on a conflict.
 *
 * <p>Life cycle: {@code NEW -> PLACED -> CONFIRMED -> SHIPPED}, or {@code PLACED -> CANCELLED}. Commands that repeat
 * what already happened (a redelivered payment confirmation, a second cancel) are accepted with no events, which is
 * what makes the saga idempotent without a table of its own. Stateless and thread-safe.
 */
public final class Order implements Decider<Order.Command, Order.State, Order.Event> {

    /** Where an order is in its life cycle. */
    public enum Status { NEW, PLACED, CONFIRMED, SHIPPED, CANCELLED;

        /** Whether nothing more can happen to the order. */
        public boolean isFinal() {
            return this == SHIPPED || this == CANCELLED;
        }
    }

    /** What can be asked of an order. */
    public sealed interface Command {
    }

    /** Place a new order; {@code salesChannel} is dropped by producers still on schema v1 of {@code OrderPlaced}. */
    public record Place(String orderId, String customerId, long amountCents, String currency, long placedAtMicros,
                        String salesChannel) implements Command {
        public Place {
            Objects.requireNonNull(orderId, "orderId");
            Objects.requireNonNull(customerId, "customerId");
            Objects.requireNonNull(currency, "currency");
            Objects.requireNonNull(salesChannel, "salesChannel");
            if (amountCents <= 0) {
                throw new IllegalArgumentException("amountCents=" + amountCents + " must be positive");
            }
        }
    }

    /** The payment service charged the order. */
    public record ConfirmPayment(String paymentId, long amountCents) implements Command {
        public ConfirmPayment {
            Objects.requireNonNull(paymentId, "paymentId");
        }
    }

    /** Hand the order to shipping. */
    public record Ship() implements Command {
    }

    /** Cancel the order, e.g. because its payment was declined. */
    public record Cancel(String reason) implements Command {
        public Cancel {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** What happened to an order; each is one event in the order's stream {@code order-<id>}. */
    public sealed interface Event {
    }

    /** {@code salesChannel} reads as {@code "web"} (the v2 schema's default) when the event was written with v1. */
    public record Placed(String orderId, String customerId, long amountCents, String currency, long placedAtMicros,
                         String salesChannel) implements Event {
    }

    public record PaymentConfirmed(String orderId, String paymentId, long amountCents) implements Event {
    }

    public record Shipped(String orderId) implements Event {
    }

    public record Cancelled(String orderId, String reason) implements Event {
    }

    /**
     * The state an order's events fold into.
     *
     * @param orderId        the order id (empty while {@code NEW})
     * @param status         where it is in its life cycle
     * @param customerId     who placed it
     * @param amountCents    its amount
     * @param placedAtMicros when it was placed (wall clock, microseconds since the epoch)
     * @param paymentId      the payment that confirmed it, or empty
     */
    public record State(String orderId, Status status, String customerId, long amountCents, long placedAtMicros,
                        String paymentId) {
        public State {
            Objects.requireNonNull(orderId, "orderId");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(customerId, "customerId");
            Objects.requireNonNull(paymentId, "paymentId");
        }

        State with(Status s) {
            return new State(orderId, s, customerId, amountCents, placedAtMicros, paymentId);
        }
    }

    @Override
    public State initialState() {
        return new State("", Status.NEW, "", 0, 0, "");
    }

    // Every event carries the order id, so that each one stands on its own once it is on a topic.
    @Override
    public Decision<Event> decide(Command command, State s) {
        String orderId = s.orderId();
        return switch (command) {
            case Place p when s.status() == Status.NEW -> Decision.accept(new Placed(p.orderId(), p.customerId(),
                    p.amountCents(), p.currency(), p.placedAtMicros(), p.salesChannel()));
            case Place p -> Decision.reject("order " + p.orderId() + " was already placed (status " + s.status()
                    + "); place new orders under a new id");
            case ConfirmPayment c when s.status() == Status.PLACED ->
                    Decision.accept(new PaymentConfirmed(orderId, c.paymentId(), c.amountCents()));
            // A redelivered confirmation of the payment we already have: nothing to do.
            case ConfirmPayment c when (s.status() == Status.CONFIRMED || s.status() == Status.SHIPPED)
                    && s.paymentId().equals(c.paymentId()) -> Decision.accept();
            case ConfirmPayment c -> Decision.reject("order " + (orderId.isEmpty() ? "(not placed)" : orderId) + " cannot confirm payment " + c.paymentId()
                    + " in status " + s.status() + (s.paymentId().isEmpty() ? "" : " (paid by " + s.paymentId() + ")")
                    + "; refund the payment");
            case Ship sh when s.status() == Status.CONFIRMED -> Decision.accept(new Shipped(orderId));
            case Ship sh when s.status() == Status.SHIPPED -> Decision.accept();
            case Ship sh -> Decision.reject("order " + orderId + " cannot ship in status " + s.status()
                    + "; only confirmed orders ship");
            case Cancel c when s.status() == Status.PLACED -> Decision.accept(new Cancelled(orderId, c.reason()));
            case Cancel c when s.status() == Status.CANCELLED -> Decision.accept();
            case Cancel c -> Decision.reject("order " + orderId + " cannot be cancelled in status " + s.status());
        };
    }

    @Override
    public State evolve(State s, Event event) {
        return switch (event) {
            case Placed p -> new State(p.orderId(), Status.PLACED, p.customerId(), p.amountCents(), p.placedAtMicros(), "");
            case PaymentConfirmed c -> new State(s.orderId(), Status.CONFIRMED, s.customerId(), s.amountCents(),
                    s.placedAtMicros(), c.paymentId());
            case Shipped sh -> s.with(Status.SHIPPED);
            case Cancelled c -> s.with(Status.CANCELLED);
        };
    }
}
