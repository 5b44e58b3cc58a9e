package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.Headers;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.Orders;
import io.tributary.log.EventLog;
import io.tributary.schema.SchemaRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder on a real embedded event store, log and H2: it sends events in groups, so these check that a group
 * never reorders an order's events, that the last, partial group goes out without more events arriving, and that a
 * restart resumes exactly after what the previous run acknowledged.
 */
class OrderForwarderTest {

    private static final String TOPIC = "fwd-orders";

    @TempDir
    Path dir;

    private OrderFlowFixture flow;
    private EventLog log;
    private SchemaRegistry registry;
    private EventStore store;
    private HikariDataSource db;
    private Orders orders;

    @BeforeEach
    void open() throws Exception {
        flow = new OrderFlowFixture(dir, TOPIC, 3, 4);
        log = flow.log;
        registry = flow.registry;
        store = flow.store;
        db = flow.db;
        orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        try (Connection c = db.getConnection()) {
            OrderForwarder.createTables(c, "t_");
        }
    }

    @AfterEach
    void close() throws Exception {
        flow.close();
    }

    /** Places orders {@code from..to-1}; every third one is also confirmed and shipped (3 events), the rest stay placed. */
    private void placeOrders(int from, int to) {
        for (int i = from; i < to; i++) {
            String id = "o" + i;
            orders.place(new Order.Place(id, "c" + (i % 7), 1000 + i, "EUR", 1, "web"));
            if (i % 3 == 0) {
                orders.confirmAndShip(id, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
            }
        }
    }

    private List<RecordedEvent> storedEvents() {
        List<RecordedEvent> all = new ArrayList<>();
        long position = EventStore.BEGINNING;
        while (true) {
            AllSlice slice = store.readAll(position, 1000, EventFilter.category(Orders.CATEGORY));
            all.addAll(slice.events());
            position = slice.nextPosition();
            if (slice.events().isEmpty() || slice.endOfAll()) {
                return all;
            }
        }
    }

    private List<TopicReader.Read> onTopic() {
        List<TopicReader.Read> reads = new ArrayList<>();
        TopicReader.readAll(log, TOPIC, reads::add);
        return reads;
    }

    private List<TopicReader.Read> awaitOnTopic(int count) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<TopicReader.Read> reads = onTopic();
        while (reads.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
            reads = onTopic();
        }
        return reads;
    }

    @Test
    void forwardsEveryEventOnceInStreamOrderIncludingTheLastPartialGroupWhileStillRunning() throws Exception {
        placeOrders(0, 700);   // 700 + 2 * 234 = 1,168 events: four full groups of 256 and a partial one
        List<RecordedEvent> stored = storedEvents();
        assertThat(stored).hasSize(1168);

        try (OrderForwarder forwarder = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            // Nothing is appended after the last event: the partial group must go out on catching up, not on close.
            List<TopicReader.Read> reads = awaitOnTopic(stored.size());

            assertThat(reads).hasSize(stored.size());
            assertThat(forwarder.forwarded()).isEqualTo(stored.size());
            Set<UUID> storedIds = new HashSet<>();
            stored.forEach(e -> storedIds.add(e.eventId()));
            assertThat(reads).extracting(TopicReader.Read::eventId).containsExactlyInAnyOrderElementsOf(storedIds);
            Map<String, List<TopicReader.Read>> byOrder = new HashMap<>();
            for (TopicReader.Read r : reads) {   // offset order within each partition
                byOrder.computeIfAbsent(r.keyString(), k -> new ArrayList<>()).add(r);
            }
            for (Map.Entry<String, List<TopicReader.Read>> e : byOrder.entrySet()) {
                assertThat(e.getValue()).as("order %s", e.getKey())
                        .extracting(TopicReader.Read::version).isSorted()
                        .doesNotHaveDuplicates();
                assertThat(e.getValue()).as("order %s stays on one partition", e.getKey())
                        .extracting(TopicReader.Read::partition).containsOnly(e.getValue().getFirst().partition());
            }
        }
    }

    @Test
    void resumesAfterTheCheckpointOfAClosedRunWithoutLosingOrRepeatingEvents() throws Exception {
        placeOrders(0, 300);   // 300 + 2 * 100 = 500 events
        try (OrderForwarder first = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            assertThat(awaitOnTopic(500)).hasSize(500);
        }
        placeOrders(300, 601);   // 301 orders, 101 of them shipped: 503 more events

        try (OrderForwarder second = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            List<TopicReader.Read> reads = awaitOnTopic(1003);
            assertThat(second.forwarded()).isEqualTo(503);
            assertThat(reads).hasSize(1003);
            assertThat(reads).extracting(TopicReader.Read::eventId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(storedEvents().stream().map(RecordedEvent::eventId).toList());
        }
    }

    @Test
    void aSecondCloseDoesNothingEvenAfterTheDatabaseIsGone() throws Exception {
        // The demo closes its services itself and, after a failure, once more on its way out (then after the pool and
        // the log may be gone): the second close must neither write a checkpoint nor send a group again.
        placeOrders(0, 30);   // 30 + 2 * 10 = 50 events
        OrderForwarder forwarder = OrderForwarder.start(store, log, db, "t_", TOPIC);
        assertThat(awaitOnTopic(50)).hasSize(50);
        forwarder.close();
        db.close();

        assertThatCode(forwarder::close).doesNotThrowAnyException();
        assertThat(forwarder.forwarded()).isEqualTo(50);
    }
}
