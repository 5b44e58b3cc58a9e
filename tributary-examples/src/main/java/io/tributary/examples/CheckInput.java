package io.tributary.examples;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Everything {@link DemoChecks} looks at, read back from where each service stored it after the run: the event store,
 * the payments table, both topics and the read model. Plain data, so a test can hand the checker a broken copy.
 *
 * @param orderIds           every order the driver placed and the event store acknowledged
 * @param eventStore         per order, its stream as read from the event store, in version order
 * @param chargesByOrder     per order, the payment ids of its {@code CHARGED} payment rows
 * @param ordersTopic        per order, its records on the {@code orders} topic, in the order they were read
 *                           (partition by partition, offset order within each)
 * @param paymentEvents      per payment outbox event id (from the payment rows), the order it belongs to
 * @param paymentsPublished  the event ids found on the {@code payments} topic
 * @param readModelStatus    per order, its status in the read model
 * @param readModelRevenue   per customer, revenue in the read model (cents)
 */
public record CheckInput(List<String> orderIds, Map<String, List<StoredEvent>> eventStore,
                         Map<String, List<String>> chargesByOrder, Map<String, List<TopicEvent>> ordersTopic,
                         Map<UUID, String> paymentEvents, java.util.Set<UUID> paymentsPublished,
                         Map<String, String> readModelStatus, Map<String, Long> readModelRevenue) {

    public CheckInput {
        orderIds = List.copyOf(orderIds);
        eventStore = Map.copyOf(eventStore);
        chargesByOrder = Map.copyOf(chargesByOrder);
        ordersTopic = Map.copyOf(ordersTopic);
        paymentEvents = Map.copyOf(paymentEvents);
        paymentsPublished = java.util.Set.copyOf(paymentsPublished);
        readModelStatus = Map.copyOf(readModelStatus);
        readModelRevenue = Map.copyOf(readModelRevenue);
    }

    /**
     * One event of an order's stream.
     *
     * @param customerId  the customer ({@code OrderPlaced} only, else empty)
     * @param amountCents the amount ({@code OrderPlaced} only, else 0)
     */
    public record StoredEvent(UUID eventId, long version, String type, String customerId, long amountCents) {
        public StoredEvent {
            Objects.requireNonNull(eventId, "eventId");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(customerId, "customerId");
        }
    }

    /** One record of the {@code orders} topic. */
    public record TopicEvent(UUID eventId, long version, int partition, long offset) {
        public TopicEvent {
            Objects.requireNonNull(eventId, "eventId");
        }
    }
}
