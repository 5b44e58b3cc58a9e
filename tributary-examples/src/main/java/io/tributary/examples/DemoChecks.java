package io.tributary.examples;

import io.tributary.examples.contracts.EventSchemas;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The guarantees the demo proves, checked against what every service stored. Pure: {@link #check} reads only its
 * input. Thread-safe (stateless).
 */
public final class DemoChecks {

    /** The rules; each failure names the order and the rule. */
    public enum Rule {
        /** A shipped order has exactly one charge; a cancelled one none. */
        CHARGED_EXACTLY_ONCE("every order charged exactly once"),
        /** Every placed order is in the event store; every stored event reached the orders topic; every payment event reached the payments topic. */
        NO_EVENT_LOST("no event lost"),
        /** Every order ended shipped or cancelled. */
        FINAL_STATE("every order in a final state"),
        /** The read model's status per order and revenue per customer equal what the event store says. */
        READ_MODEL_MATCHES("read-model totals equal the event store's"),
        /** Each order's events are in version order, in the store and on the topic (one partition per order). */
        PER_ORDER_ORDER("per-order event order respected");

        private final String description;

        Rule(String description) {
            this.description = description;
        }

        /** What the rule promises, in words. */
        public String description() {
            return description;
        }
    }

    /**
     * The outcome of one rule.
     *
     * @param violations how many violations were found
     * @param examples   the first few, each naming the order (or customer) and what was wrong
     */
    public record CheckResult(Rule rule, long violations, List<String> examples) {
        public CheckResult {
            Objects.requireNonNull(rule, "rule");
            examples = List.copyOf(examples);
        }

        public boolean passed() {
            return violations == 0;
        }
    }

    private static final int EXAMPLES = 5;

    private DemoChecks() {
    }

    /** Checks every rule, in {@link Rule} order. */
    public static List<CheckResult> check(CheckInput in) {
        Map<Rule, Collector> found = new HashMap<>();
        for (Rule r : Rule.values()) {
            found.put(r, new Collector());
        }
        Set<String> placed = new HashSet<>(in.orderIds());
        Map<String, Long> revenueFromStore = new HashMap<>();

        for (String orderId : in.orderIds()) {
            List<CheckInput.StoredEvent> stream = in.eventStore().getOrDefault(orderId, List.of());
            if (stream.isEmpty()) {
                found.get(Rule.NO_EVENT_LOST).add("order " + orderId + " was placed (acknowledged) but has no events in the event store");
                continue;
            }
            String status = statusOf(stream);
            // PER_ORDER_ORDER in the store: versions 0..n-1, life cycle in order.
            String lifecycle = lifecycleProblem(stream);
            if (lifecycle != null) {
                found.get(Rule.PER_ORDER_ORDER).add("order " + orderId + " " + lifecycle);
            }
            if (!status.equals("SHIPPED") && !status.equals("CANCELLED")) {
                found.get(Rule.FINAL_STATE).add("order " + orderId + " ended in status " + status
                        + " (last event " + stream.get(stream.size() - 1).type() + ")");
            }
            List<String> charges = in.chargesByOrder().getOrDefault(orderId, List.of());
            int expected = status.equals("SHIPPED") ? 1 : status.equals("CANCELLED") ? 0 : -1;
            if ((expected >= 0 && charges.size() != expected) || charges.size() > 1) {
                found.get(Rule.CHARGED_EXACTLY_ONCE).add("order " + orderId + " is " + status + " with "
                        + charges.size() + " charge(s) " + charges + "; expected " + (expected < 0 ? "at most 1" : expected));
            }
            if (status.equals("SHIPPED")) {
                CheckInput.StoredEvent p = stream.get(0);
                revenueFromStore.merge(p.customerId(), p.amountCents(), Long::sum);
            }
            // NO_EVENT_LOST and PER_ORDER_ORDER on the topic.
            List<CheckInput.TopicEvent> onTopic = in.ordersTopic().getOrDefault(orderId, List.of());
            Set<UUID> published = new HashSet<>();
            for (CheckInput.TopicEvent t : onTopic) {
                published.add(t.eventId());
            }
            for (CheckInput.StoredEvent e : stream) {
                if (!published.contains(e.eventId())) {
                    found.get(Rule.NO_EVENT_LOST).add("order " + orderId + " event " + e.eventId() + " (" + e.type()
                            + ", version " + e.version() + ") is in the event store but not on the orders topic");
                }
            }
            String topicOrder = topicOrderProblem(onTopic);
            if (topicOrder != null) {
                found.get(Rule.PER_ORDER_ORDER).add("order " + orderId + " " + topicOrder);
            }
            // READ_MODEL_MATCHES per order.
            String modelled = in.readModelStatus().get(orderId);
            if (!status.equals(modelled)) {
                found.get(Rule.READ_MODEL_MATCHES).add("order " + orderId + " is " + status + " in the event store but "
                        + (modelled == null ? "missing" : modelled) + " in the read model");
            }
        }
        for (Map.Entry<String, List<String>> c : in.chargesByOrder().entrySet()) {
            if (!placed.contains(c.getKey()) && !c.getValue().isEmpty()) {
                found.get(Rule.CHARGED_EXACTLY_ONCE).add("order " + c.getKey() + " was charged " + c.getValue().size()
                        + " time(s) but was never placed");
            }
        }
        for (String orderId : new TreeSet<>(in.readModelStatus().keySet())) {
            if (!placed.contains(orderId)) {
                found.get(Rule.READ_MODEL_MATCHES).add("order " + orderId + " is in the read model but was never placed");
            }
        }
        Set<String> customers = new TreeSet<>(revenueFromStore.keySet());
        customers.addAll(in.readModelRevenue().keySet());
        for (String customer : customers) {
            long store = revenueFromStore.getOrDefault(customer, 0L);
            long model = in.readModelRevenue().getOrDefault(customer, 0L);
            if (store != model) {
                found.get(Rule.READ_MODEL_MATCHES).add("customer " + customer + " has revenue " + store
                        + " in the event store but " + model + " in the read model");
            }
        }
        for (Map.Entry<UUID, String> p : in.paymentEvents().entrySet()) {
            if (!in.paymentsPublished().contains(p.getKey())) {
                found.get(Rule.NO_EVENT_LOST).add("order " + p.getValue() + " payment event " + p.getKey()
                        + " is in the outbox but not on the payments topic");
            }
        }
        List<CheckResult> out = new ArrayList<>();
        for (Rule r : Rule.values()) {
            Collector c = found.get(r);
            out.add(new CheckResult(r, c.count, c.examples));
        }
        return out;
    }

    /** The status an order's stream folds to. */
    static String statusOf(List<CheckInput.StoredEvent> stream) {
        return switch (stream.get(stream.size() - 1).type()) {
            case EventSchemas.ORDER_PLACED -> "PLACED";
            case EventSchemas.PAYMENT_CONFIRMED_TYPE -> "CONFIRMED";
            case EventSchemas.ORDER_SHIPPED_TYPE -> "SHIPPED";
            case EventSchemas.ORDER_CANCELLED_TYPE -> "CANCELLED";
            default -> "UNKNOWN";
        };
    }

    private static final List<List<String>> LIFECYCLES = List.of(
            List.of(EventSchemas.ORDER_PLACED, EventSchemas.PAYMENT_CONFIRMED_TYPE, EventSchemas.ORDER_SHIPPED_TYPE),
            List.of(EventSchemas.ORDER_PLACED, EventSchemas.ORDER_CANCELLED_TYPE));

    private static String lifecycleProblem(List<CheckInput.StoredEvent> stream) {
        List<String> types = new ArrayList<>();
        for (int i = 0; i < stream.size(); i++) {
            if (stream.get(i).version() != i) {
                return "has version " + stream.get(i).version() + " at position " + i + " of its stream in the event store";
            }
            types.add(stream.get(i).type());
        }
        for (List<String> l : LIFECYCLES) {
            if (types.size() <= l.size() && l.subList(0, types.size()).equals(types)) {
                return null;
            }
        }
        return "has events " + types + " in the event store, which is not a valid order life cycle";
    }

    private static String topicOrderProblem(List<CheckInput.TopicEvent> onTopic) {
        long next = 0;
        Map<Long, UUID> seen = new HashMap<>();
        Integer partition = null;
        for (CheckInput.TopicEvent t : onTopic) {
            if (partition == null) {
                partition = t.partition();
            } else if (partition != t.partition()) {
                return "has events in partitions " + partition + " and " + t.partition() + " of the orders topic; "
                        + "an order's events must share one partition (key = order id)";
            }
            if (t.version() == next) {
                seen.put(t.version(), t.eventId());
                next++;
            } else if (t.version() < next && t.eventId().equals(seen.get(t.version()))) {
                continue;   // a republished copy (at-least-once forwarding): harmless, consumers skip it
            } else {
                return "has version " + t.version() + " at offset " + t.offset() + " of the orders topic where version "
                        + next + " was due";
            }
        }
        return null;
    }

    private static final class Collector {
        long count;
        final List<String> examples = new ArrayList<>();

        void add(String message) {
            count++;
            if (examples.size() < EXAMPLES) {
                examples.add(message);
            }
        }
    }
}
