package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.eventstore.CommandResult;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.Orders;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Orders command side on a real embedded event store: what the saga's confirm-and-ship writes. */
class OrdersTest {

    private static final String TOPIC = "orders-test";

    @TempDir
    Path dir;

    private EventLog log;
    private SchemaRegistry registry;
    private EventStore store;
    private OrderEventCodec codec;

    @BeforeEach
    void open() {
        log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
        registry = SchemaRegistry.open(log);
        for (var s : List.of(EventSchemas.ORDER_PLACED_V1, EventSchemas.PAYMENT_CONFIRMED, EventSchemas.ORDER_SHIPPED,
                EventSchemas.ORDER_CANCELLED)) {
            registry.register(EventSchemas.subject(TOPIC, s), SchemaText.avro(s.toString()));
        }
        store = EventStores.embedded(log, EmbeddedEventStoreConfig.of(dir.resolve("index")));
        codec = new OrderEventCodec(registry, TOPIC);
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        registry.close();
        log.close();
    }

    private static Order.Place place(String id) {
        return new Order.Place(id, "c1", 1000, "EUR", 1, "web");
    }

    private List<RecordedEvent> stream(String orderId) {
        return store.readStreamForward("order-" + orderId, 0, 100);
    }

    @Test
    void confirmAndShipOfACachedOrderWritesBothEventsInOneAppend() {
        Orders orders = new Orders(store, codec);
        orders.place(place("o1"));

        CommandResult<Order.State> result = orders.confirmAndShip("o1", new Order.ConfirmPayment("p1", 1000),
                Headers.empty());

        assertThat(result).isInstanceOfSatisfying(CommandResult.Accepted.class, a -> {
            assertThat(a.events()).hasSize(2);
            assertThat(a.version()).isEqualTo(2);
        });
        List<RecordedEvent> events = stream("o1");
        assertThat(events).extracting(RecordedEvent::type).containsExactly(EventSchemas.ORDER_PLACED,
                EventSchemas.PAYMENT_CONFIRMED_TYPE, EventSchemas.ORDER_SHIPPED_TYPE);
        assertThat(events).extracting(RecordedEvent::version).containsExactly(0L, 1L, 2L);
        assertThat(events.get(1).correlationId()).as("one append: one correlation id for both events")
                .isPresent().isEqualTo(events.get(2).correlationId());
        assertThat(events.get(2).position()).isEqualTo(events.get(1).position() + 1);
        assertThat(orders.load("o1").status()).isEqualTo(Order.Status.SHIPPED);
    }

    @Test
    void aRedeliveredPaymentAppendsNothingAndReportsNoEvents() {
        Orders orders = new Orders(store, codec);
        orders.place(place("o2"));
        orders.confirmAndShip("o2", new Order.ConfirmPayment("p1", 1000), Headers.empty());

        CommandResult<Order.State> again = orders.confirmAndShip("o2", new Order.ConfirmPayment("p1", 1000),
                Headers.empty());

        assertThat(again).isInstanceOfSatisfying(CommandResult.Accepted.class, a -> assertThat(a.events()).isEmpty());
        assertThat(stream("o2")).hasSize(3);
    }

    @Test
    void aSecondPaymentForAConfirmedOrderIsRejectedAndAppendsNothing() {
        Orders orders = new Orders(store, codec);
        orders.place(place("o3"));
        orders.confirmAndShip("o3", new Order.ConfirmPayment("p1", 1000), Headers.empty());

        CommandResult<Order.State> other = orders.confirmAndShip("o3", new Order.ConfirmPayment("p2", 1000),
                Headers.empty());

        assertThat(other).isInstanceOf(CommandResult.Rejected.class);
        assertThat(stream("o3")).hasSize(3);
    }

    @Test
    void aWriterThatGotInBetweenMakesConfirmAndShipDecideAgainOnTheStoredState() {
        Orders mine = new Orders(store, codec);
        Orders theirs = new Orders(store, codec);
        mine.place(place("o4"));
        // Someone else confirms (and ships) the order behind my cache's back: my cached version is stale.
        theirs.confirmAndShip("o4", new Order.ConfirmPayment("p1", 1000), Headers.empty());

        CommandResult<Order.State> result = mine.confirmAndShip("o4", new Order.ConfirmPayment("p1", 1000),
                Headers.empty());

        assertThat(result).as("the repeat is recognised on the stored state, after the version conflict")
                .isInstanceOfSatisfying(CommandResult.Accepted.class, a -> {
                    assertThat(a.events()).isEmpty();
                    assertThat(((Order.State) a.state()).status()).isEqualTo(Order.Status.SHIPPED);
                });
        assertThat(stream("o4")).hasSize(3);
    }

    @Test
    void anOrderMissingFromTheCacheIsConfirmedAndShippedThroughTheRepository() {
        new Orders(store, codec).place(place("o5"));
        Orders fresh = new Orders(store, codec);   // an empty cache, as after a restart

        CommandResult<Order.State> result = fresh.confirmAndShip("o5", new Order.ConfirmPayment("p1", 1000),
                Headers.empty());

        assertThat(result).isInstanceOf(CommandResult.Accepted.class);
        assertThat(stream("o5")).extracting(RecordedEvent::type).containsExactly(EventSchemas.ORDER_PLACED,
                EventSchemas.PAYMENT_CONFIRMED_TYPE, EventSchemas.ORDER_SHIPPED_TYPE);
    }
}
