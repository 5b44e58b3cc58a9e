package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.examples.contracts.EventSchemas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The checker on hand-made inputs: a consistent run passes, and each kind of broken guarantee fails naming the order
 * (or customer) and the rule. This is what makes the demo's "All checks passed" mean something.
 */
class DemoChecksTest {

    /** Two shipped orders and one cancelled, consistent everywhere. */
    private static CheckInput consistent() {
        Map<String, List<CheckInput.StoredEvent>> store = new HashMap<>();
        Map<String, List<String>> charges = new HashMap<>();
        Map<String, List<CheckInput.TopicEvent>> topic = new HashMap<>();
        Map<UUID, String> paymentEvents = new HashMap<>();
        Set<UUID> published = new HashSet<>();
        Map<String, String> status = new HashMap<>();
        Map<String, Long> revenue = new HashMap<>();
        long offset = 0;
        for (String id : List.of("o1", "o2", "o3")) {
            boolean ship = !id.equals("o3");
            List<String> types = ship
                    ? List.of(EventSchemas.ORDER_PLACED, EventSchemas.PAYMENT_CONFIRMED_TYPE, EventSchemas.ORDER_SHIPPED_TYPE)
                    : List.of(EventSchemas.ORDER_PLACED, EventSchemas.ORDER_CANCELLED_TYPE);
            List<CheckInput.StoredEvent> stream = new ArrayList<>();
            List<CheckInput.TopicEvent> records = new ArrayList<>();
            for (int v = 0; v < types.size(); v++) {
                UUID eid = UUID.randomUUID();
                stream.add(new CheckInput.StoredEvent(eid, v, types.get(v), v == 0 ? "c1" : "", v == 0 ? 1000 : 0));
                records.add(new CheckInput.TopicEvent(eid, v, 0, offset++));
            }
            store.put(id, stream);
            topic.put(id, records);
            UUID paymentEvent = UUID.randomUUID();
            paymentEvents.put(paymentEvent, id);
            published.add(paymentEvent);
            if (ship) {
                charges.put(id, List.of("pay-" + id));
                revenue.merge("c1", 1000L, Long::sum);
            }
            status.put(id, ship ? "SHIPPED" : "CANCELLED");
        }
        return new CheckInput(List.of("o1", "o2", "o3"), store, charges, topic, paymentEvents, published, status, revenue);
    }

    private static CheckInput with(CheckInput in, UnaryOperator<Map<String, List<String>>> charges) {
        return new CheckInput(in.orderIds(), in.eventStore(), charges.apply(new HashMap<>(in.chargesByOrder())),
                in.ordersTopic(), in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), in.readModelRevenue());
    }

    private static DemoChecks.CheckResult result(CheckInput in, DemoChecks.Rule rule) {
        return DemoChecks.check(in).stream().filter(r -> r.rule() == rule).findFirst().orElseThrow();
    }

    @Test
    void passesEveryRuleOnAConsistentRun() {
        assertThat(DemoChecks.check(consistent())).hasSize(5).allMatch(DemoChecks.CheckResult::passed);
    }

    @Test
    void failsChargedExactlyOnceNamingTheOrderWhenAPaymentIsDuplicated() {
        CheckInput broken = with(consistent(), c -> {
            c.put("o2", List.of("pay-o2", "pay-o2-again"));
            return c;
        });

        DemoChecks.CheckResult r = result(broken, DemoChecks.Rule.CHARGED_EXACTLY_ONCE);

        assertThat(r.passed()).isFalse();
        assertThat(r.violations()).isEqualTo(1);
        assertThat(r.examples()).singleElement().asString().contains("order o2", "2 charge(s)", "expected 1");
        assertThat(DemoChecks.check(broken)).filteredOn(DemoChecks.CheckResult::passed).hasSize(4);
    }

    @Test
    void failsChargedExactlyOnceWhenACancelledOrderWasCharged() {
        CheckInput broken = with(consistent(), c -> {
            c.put("o3", List.of("pay-o3"));
            return c;
        });
        assertThat(result(broken, DemoChecks.Rule.CHARGED_EXACTLY_ONCE).examples()).singleElement().asString()
                .contains("order o3 is CANCELLED with 1 charge(s)");
    }

    @Test
    void failsNoEventLostWhenAStoredEventNeverReachedTheTopic() {
        CheckInput in = consistent();
        Map<String, List<CheckInput.TopicEvent>> topic = new HashMap<>(in.ordersTopic());
        topic.put("o1", topic.get("o1").subList(0, 2));   // OrderShipped missing
        CheckInput broken = new CheckInput(in.orderIds(), in.eventStore(), in.chargesByOrder(), topic,
                in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), in.readModelRevenue());

        assertThat(result(broken, DemoChecks.Rule.NO_EVENT_LOST).examples()).singleElement().asString()
                .contains("order o1", "OrderShipped", "not on the orders topic");
    }

    @Test
    void failsNoEventLostWhenAPaymentEventStayedInTheOutbox() {
        CheckInput in = consistent();
        CheckInput broken = new CheckInput(in.orderIds(), in.eventStore(), in.chargesByOrder(), in.ordersTopic(),
                in.paymentEvents(), Set.of(), in.readModelStatus(), in.readModelRevenue());
        assertThat(result(broken, DemoChecks.Rule.NO_EVENT_LOST).violations()).isEqualTo(3);
    }

    @Test
    void failsFinalStateNamingAnOrderLeftPlaced() {
        CheckInput in = consistent();
        Map<String, List<CheckInput.StoredEvent>> store = new HashMap<>(in.eventStore());
        store.put("o3", store.get("o3").subList(0, 1));
        CheckInput broken = new CheckInput(in.orderIds(), store, in.chargesByOrder(), in.ordersTopic(),
                in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), in.readModelRevenue());

        assertThat(result(broken, DemoChecks.Rule.FINAL_STATE).examples()).singleElement().asString()
                .contains("order o3 ended in status PLACED");
        assertThat(result(broken, DemoChecks.Rule.READ_MODEL_MATCHES).examples()).singleElement().asString()
                .contains("order o3 is PLACED in the event store but CANCELLED in the read model");
    }

    @Test
    void failsReadModelMatchesNamingTheCustomerWhoseRevenueDiffers() {
        CheckInput in = consistent();
        CheckInput broken = new CheckInput(in.orderIds(), in.eventStore(), in.chargesByOrder(), in.ordersTopic(),
                in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), Map.of("c1", 3000L));
        assertThat(result(broken, DemoChecks.Rule.READ_MODEL_MATCHES).examples()).singleElement().asString()
                .contains("customer c1 has revenue 2000 in the event store but 3000 in the read model");
    }

    @Test
    void failsPerOrderOrderWhenAnOrdersEventsAreSwappedOnTheTopic() {
        CheckInput in = consistent();
        Map<String, List<CheckInput.TopicEvent>> topic = new HashMap<>(in.ordersTopic());
        List<CheckInput.TopicEvent> o2 = new ArrayList<>(topic.get("o2"));
        java.util.Collections.swap(o2, 1, 2);
        topic.put("o2", o2);
        CheckInput broken = new CheckInput(in.orderIds(), in.eventStore(), in.chargesByOrder(), topic,
                in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), in.readModelRevenue());

        assertThat(result(broken, DemoChecks.Rule.PER_ORDER_ORDER).examples()).singleElement().asString()
                .contains("order o2 has version 2", "where version 1 was due");
    }

    @Test
    void toleratesARepublishedCopyOfAnEventOnTheTopic() {
        CheckInput in = consistent();
        Map<String, List<CheckInput.TopicEvent>> topic = new HashMap<>(in.ordersTopic());
        List<CheckInput.TopicEvent> o1 = new ArrayList<>(topic.get("o1"));
        o1.add(new CheckInput.TopicEvent(o1.get(2).eventId(), 2, 0, 99));   // at-least-once forwarding repeated it
        topic.put("o1", o1);
        CheckInput repeated = new CheckInput(in.orderIds(), in.eventStore(), in.chargesByOrder(), topic,
                in.paymentEvents(), in.paymentsPublished(), in.readModelStatus(), in.readModelRevenue());
        assertThat(DemoChecks.check(repeated)).allMatch(DemoChecks.CheckResult::passed);
    }

    @Test
    void reportFailsAndNamesTheOrderAndRuleInItsLines() {
        CheckInput broken = with(consistent(), c -> {
            c.put("o1", List.of("a", "b"));
            return c;
        });
        DemoReport report = new DemoReport("embedded", "H2", 1, 3, 0, 1, 3, 10, 10, 1, 2, 3, 2, 1, 0, "payments.dlq",
                "", 0, 0, 0, 0, 0, 0, 0, Map.of(1, 3L), Map.of("SHIPPED", 2L), List.of(), DemoChecks.check(broken),
                new DemoReport.SteadyState(1, 0.1, 2, 1, 2, 3));
        assertThat(report.passed()).isFalse();
        assertThat(String.join("\n", report.lines())).contains("FAIL", "order o1 is SHIPPED with 2 charge(s)",
                "[CHARGED_EXACTLY_ONCE]");
        assertThat(report.json()).contains("\"passed\":false");
    }

    @Test
    void reportShowsLatencyOverEveryOrderAndAfterTheWarmUpSideBySide() {
        DemoReport report = new DemoReport("embedded", "H2", 4, 5000, 0, 10, 500, 20000, 2000, 7, 479, 579, 4743, 257,
                100, "payments.dlq", "", 100, 0, 0.2, 0, 0, 0, 0, Map.of(1, 5000L), Map.of("SHIPPED", 4743L),
                List.of(), DemoChecks.check(consistent()), new DemoReport.SteadyState(1000, 2.0, 3790, 6.5, 12.5, 40));
        assertThat(String.join("\n", report.lines())).contains(
                "p50 7.0 ms, p99 479.0 ms, max 579.0 ms (every order)",
                "p50 6.5 ms, p99 12.5 ms, max 40.0 ms after the warm-up (3,790 orders placed after the first 1,000, i.e. from 2.0 s into the run)");
        assertThat(report.json()).contains("\"placedToConfirmedLatencyMs\":{\"p50\":7.0,\"p99\":479.0,\"max\":579.0}",
                "\"steadyStateLatencyMs\":{\"afterOrders\":1000,\"warmupSeconds\":2.0,\"orders\":3790,\"p50\":6.5,\"p99\":12.5,\"max\":40.0}");
    }
}
