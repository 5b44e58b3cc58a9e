package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.Decision;
import io.tributary.examples.orders.Order;
import org.junit.jupiter.api.Test;

/** The order aggregate's rules, as pure functions. */
class OrderTest {

    private final Order order = new Order();

    private Order.State placed() {
        Decision<Order.Event> d = order.decide(new Order.Place("o1", "c1", 1000, "EUR", 1, "web"), order.initialState());
        return order.evolve(order.initialState(), ((Decision.Accept<Order.Event>) d).events().get(0));
    }

    @Test
    void acceptsARedeliveredPaymentConfirmationWithNoNewEvents() {
        Order.State confirmed = order.evolve(placed(), new Order.PaymentConfirmed("o1", "p1", 1000));
        assertThat(order.decide(new Order.ConfirmPayment("p1", 1000), confirmed))
                .isEqualTo(Decision.accept());
    }

    @Test
    void rejectsASecondDifferentPaymentForAConfirmedOrder() {
        Order.State confirmed = order.evolve(placed(), new Order.PaymentConfirmed("o1", "p1", 1000));
        assertThat(order.decide(new Order.ConfirmPayment("p2", 1000), confirmed))
                .isInstanceOfSatisfying(Decision.Reject.class, r -> assertThat(r.reason()).contains("o1", "p2", "refund"));
    }

    @Test
    void rejectsShippingAnOrderThatIsNotPaid() {
        assertThat(order.decide(new Order.Ship(), placed())).isInstanceOf(Decision.Reject.class);
    }

    @Test
    void rejectsCancellingAShippedOrder() {
        Order.State shipped = order.evolve(order.evolve(placed(), new Order.PaymentConfirmed("o1", "p1", 1000)),
                new Order.Shipped("o1"));
        assertThat(order.decide(new Order.Cancel("x"), shipped)).isInstanceOf(Decision.Reject.class);
        assertThat(shipped.status().isFinal()).isTrue();
    }

    @Test
    void rejectsPlacingAnOrderTwice() {
        assertThat(order.decide(new Order.Place("o1", "c1", 5, "EUR", 1, "web"), placed()))
                .isInstanceOf(Decision.Reject.class);
    }
}
