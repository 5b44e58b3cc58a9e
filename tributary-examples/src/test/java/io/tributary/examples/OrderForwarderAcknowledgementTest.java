package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventHandler;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.OrderForwarderConfig;
import io.tributary.examples.orders.Orders;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.schema.SchemaRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forwarder against a log whose acknowledgements the test gives by hand: the producer really stores each group
 * on the embedded log, but the future the forwarder sees completes only when the test says so. This is what makes the
 * checkpoint, the bound on events in flight and the close path observable; with a log that acknowledges at once they
 * cannot fail.
 */
class OrderForwarderAcknowledgementTest {

    private static final String TOPIC = "ack-orders";

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

    /**
     * A producer that stores every group on the real log at once but completes the forwarder's future only when the
     * test acknowledges it (or at once in auto mode). It records each group and the most events ever outstanding.
     */
    static final class HandAckProducer implements LogProducer {

        record Group(List<Record> records, CompletableFuture<List<AppendResult>> stored,
                     CompletableFuture<List<AppendResult>> ack) {
        }

        private final LogProducer real;
        private final List<Group> groups = new ArrayList<>();
        private final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        private volatile boolean autoAck;
        private int maxOutstanding;
        /** The call (1-based) that stores the first half of its group and then blocks until interrupted; 0: none. */
        private volatile int interruptCall;
        final CountDownLatch interruptReached = new CountDownLatch(1);
        /** The call (1-based) that throws {@link AppendError} without storing anything; 0: none. */
        private volatile int errorCall;
        /** The name of the thread that made each call, in call order. */
        private final List<String> callers = new java.util.concurrent.CopyOnWriteArrayList<>();

        HandAckProducer(LogProducer real) {
            this.real = real;
        }

        @Override
        public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
            int call = calls.incrementAndGet();
            callers.add(Thread.currentThread().getName());
            if (call == errorCall) {
                throw new AppendError("append " + call + " failed with an Error");
            }
            if (call == interruptCall) {
                // Like the embedded producer interrupted while waiting for buffer space after storing earlier chunks.
                real.appendAll(topic, records.subList(0, records.size() / 2)).join();
                interruptReached.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RetriableException(LogErrors.PRODUCER_BUFFER_FULL, "Interrupted while appending", e);
                }
                throw new AssertionError("the forwarder's close never interrupted the append");
            }
            CompletableFuture<List<AppendResult>> stored = real.appendAll(topic, records);
            CompletableFuture<List<AppendResult>> ack = new CompletableFuture<>();
            synchronized (this) {
                groups.add(new Group(List.copyOf(records), stored, ack));
                maxOutstanding = Math.max(maxOutstanding, outstanding());
                if (autoAck) {
                    ack.complete(stored.join());
                }
            }
            return ack;
        }

        /** The names of the threads that called appendAll, one per call (a re-sent group is a new call). */
        List<String> callers() {
            return List.copyOf(callers);
        }

        /** Events handed over whose acknowledgement the test has not given yet. */
        synchronized int outstanding() {
            return groups.stream().filter(g -> !g.ack().isDone()).mapToInt(g -> g.records().size()).sum();
        }

        synchronized int maxOutstanding() {
            return maxOutstanding;
        }

        synchronized int appendedEvents() {
            return groups.stream().mapToInt(g -> g.records().size()).sum();
        }

        synchronized List<Group> groups() {
            return List.copyOf(groups);
        }

        /** Acknowledges the oldest group not yet acknowledged; false if there is none. */
        synchronized boolean ackOldest() {
            for (Group g : groups) {
                if (!g.ack().isDone()) {
                    g.ack().complete(g.stored().join());
                    return true;
                }
            }
            return false;
        }

        synchronized void ackAllFromNowOn() {
            autoAck = true;
            while (ackOldest()) {
                // acknowledges every group handed over so far
            }
        }

        @Override
        public CompletableFuture<AppendResult> append(String topic, Record record) {
            throw new UnsupportedOperationException("the forwarder appends with appendAll");
        }

        @Override
        public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
            throw new UnsupportedOperationException("the forwarder appends with appendAll");
        }

        @Override
        public void flush() {
            real.flush();
        }

        @Override
        public void close() {
            real.close();
        }
    }

    /** An Error, not an Exception, from an append: what a forwarder catching only Exceptions lets through. */
    static final class AppendError extends Error {
        AppendError(String message) {
            super(message);
        }
    }

    private static final String GROUP_TIMER = "order-forwarder-group-timer";

    /** The real log, except that its producer is {@code producer}. */
    private EventLog logWith(LogProducer producer) {
        return (EventLog) Proxy.newProxyInstance(EventLog.class.getClassLoader(), new Class<?>[]{EventLog.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("producer")) {
                        return producer;
                    }
                    try {
                        return method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The real store, except that its subscriptions never report catching up (as when it stays behind a busy store). */
    private EventStore storeThatNeverCatchesUp() {
        return (EventStore) Proxy.newProxyInstance(EventStore.class.getClassLoader(), new Class<?>[]{EventStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("subscribe") && args.length == 3) {
                        EventHandler handler = (EventHandler) args[2];
                        return store.subscribe((EventFilter) args[0], (Long) args[1], handler::handle);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
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

    private Map<UUID, Long> positions() {
        Map<UUID, Long> positions = new HashMap<>();
        storedEvents().forEach(e -> positions.put(e.eventId(), e.position()));
        return positions;
    }

    private static UUID eventId(Record r) {
        return UUID.fromString(r.headers().lastString(io.tributary.core.StandardHeaders.EVENT_ID).orElseThrow());
    }

    /** The position of the last event of the longest run of acknowledged groups from the first; BEGINNING if none. */
    private static long acknowledgedPrefix(HandAckProducer producer, Map<UUID, Long> positions) {
        long position = EventStore.BEGINNING;
        for (HandAckProducer.Group g : producer.groups()) {
            if (!g.ack().isDone()) {
                break;
            }
            position = positions.get(eventId(g.records().getLast()));
        }
        return position;
    }

    private long checkpoint() throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT position FROM t_forwarder_checkpoint WHERE id = 1")) {
            return rs.next() ? rs.getLong(1) : EventStore.BEGINNING;
        }
    }

    private List<TopicReader.Read> onTopic() {
        List<TopicReader.Read> reads = new ArrayList<>();
        TopicReader.readAll(log, TOPIC, reads::add);
        return reads;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void checkpointNeverPassesAnUnacknowledgedGroupAndEventsInFlightStayWithinTheBound() throws Exception {
        placeOrders(0, 120);   // 120 + 2 * 40 = 200 events
        Map<UUID, Long> positions = positions();
        assertThat(positions).hasSize(200);
        HandAckProducer producer = new HandAckProducer(log.producer());
        // Only full groups of 16 until the subscription catches up (a minute's group wait): with the 5 ms default, a
        // subscription delivering slowly (a loaded machine) lets partial groups go out, so the forwarder can stop at
        // the bound short of 64 (e.g. 58 handed over, the next group of 16 waiting for room), and the wait below for
        // exactly 64 times out, as it did once in four runs of this class on a loaded 2-core machine.
        OrderForwarderConfig config = OrderForwarderConfig.defaults().withMaxGroup(16).withMaxUnacknowledged(64)
                .withCheckpointEvery(16).withMaxGroupWait(Duration.ofMinutes(1));

        OrderForwarder forwarder = OrderForwarder.start(store, logWith(producer), db, "t_", TOPIC, config);
        try {
            // Nothing acknowledged: the forwarder must stop at the bound and store no position at all.
            await(() -> producer.appendedEvents() >= 64, "the first 64 events to be handed over");
            Thread.sleep(200);
            assertThat(producer.appendedEvents()).isEqualTo(64);
            assertThat(checkpoint()).isEqualTo(EventStore.BEGINNING);

            long highest = EventStore.BEGINNING;
            // A deadline far below the minute's group wait: once caught up the forwarder must send the last partial
            // group at once, and a broken caught-up flush would otherwise stall here for the minute and still pass.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (producer.appendedEvents() < 200 || producer.outstanding() > 0) {
                assertThat(System.nanoTime()).as("10 s for all 200 events to be handed over and acknowledged (%d "
                        + "handed over, %d outstanding)", producer.appendedEvents(), producer.outstanding())
                        .isLessThan(deadline);
                producer.ackOldest();
                Thread.sleep(15);   // lets the forwarder move on and store periodic checkpoints
                long stored = checkpoint();   // read before the prefix: the prefix only grows
                assertThat(stored).as("checkpoint vs acknowledged groups")
                        .isLessThanOrEqualTo(acknowledgedPrefix(producer, positions));
                highest = Math.max(highest, stored);
            }
            assertThat(highest).as("periodic checkpoints moved over acknowledged groups")
                    .isGreaterThan(EventStore.BEGINNING);
            assertThat(producer.maxOutstanding()).as("events handed over and not acknowledged").isLessThanOrEqualTo(64);
        } finally {
            producer.ackAllFromNowOn();
            forwarder.close();
        }
        assertThat(checkpoint()).isEqualTo(storedEvents().getLast().position());
        assertThat(onTopic()).hasSize(200);
    }

    @Test
    void closeSendsTheGroupTheBoundWasHoldingBackOnceThereIsRoomAndWaitsForItsAcknowledgement() throws Exception {
        placeOrders(0, 60);   // 60 + 2 * 20 = 100 events
        List<RecordedEvent> stored = storedEvents();
        HandAckProducer producer = new HandAckProducer(log.producer());
        OrderForwarderConfig config = OrderForwarderConfig.defaults().withMaxGroup(16).withMaxUnacknowledged(32);
        OrderForwarder forwarder = OrderForwarder.start(store, logWith(producer), db, "t_", TOPIC, config);
        await(() -> producer.appendedEvents() >= 32, "two groups to be handed over");
        Thread.sleep(200);   // the next group is collected and waits for room
        assertThat(producer.appendedEvents()).isEqualTo(32);

        Thread closing = Thread.ofVirtual().start(forwarder::close);
        // The collected group still needs room under the bound, so close waits for acknowledgements before sending.
        assertThat(closing.join(java.time.Duration.ofMillis(200))).as("close waits for the acknowledgements").isFalse();
        assertThat(producer.appendedEvents()).isEqualTo(32);
        assertThat(checkpoint()).isEqualTo(EventStore.BEGINNING);
        producer.ackAllFromNowOn();
        assertThat(closing.join(java.time.Duration.ofSeconds(30))).isTrue();

        int sent = producer.appendedEvents();
        assertThat(sent).isGreaterThan(32);
        List<UUID> sentIds = producer.groups().stream().flatMap(g -> g.records().stream())
                .map(OrderForwarderAcknowledgementTest::eventId).toList();
        assertThat(sentIds).as("the first events in order, each once")
                .containsExactlyElementsOf(stored.subList(0, sent).stream().map(RecordedEvent::eventId).toList());
        assertThat(checkpoint()).isEqualTo(stored.get(sent - 1).position());
    }

    @Test
    void closeThatInterruptsAnAppendDoesNotSendItsGroupAgainAndTheNextRunForwardsTheRest() throws Exception {
        placeOrders(0, 60);   // 100 events
        List<RecordedEvent> stored = storedEvents();
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        producer.interruptCall = 3;
        OrderForwarderConfig config = OrderForwarderConfig.defaults().withMaxGroup(16);
        OrderForwarder forwarder = OrderForwarder.start(store, logWith(producer), db, "t_", TOPIC, config);
        assertThat(producer.interruptReached.await(30, TimeUnit.SECONDS)).isTrue();
        forwarder.close();

        List<TopicReader.Read> afterClose = onTopic();
        assertThat(afterClose).extracting(TopicReader.Read::eventId).as("nothing sent twice by close")
                .doesNotHaveDuplicates();
        List<HandAckProducer.Group> groups = producer.groups();
        assertThat(groups).hasSize(2);
        int acknowledged = groups.get(0).records().size() + groups.get(1).records().size();
        assertThat(checkpoint()).as("the checkpoint stops before the interrupted group")
                .isEqualTo(stored.get(acknowledged - 1).position());

        try (OrderForwarder next = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            await(() -> next.forwarded() == stored.size() - acknowledged, "the rest to be forwarded");
        }
        List<TopicReader.Read> all = onTopic();
        Set<UUID> storedIds = new HashSet<>();
        stored.forEach(e -> storedIds.add(e.eventId()));
        assertThat(all).extracting(TopicReader.Read::eventId).containsAll(storedIds);
        // Only the part of the interrupted group that reached the log is there twice (at least once, as documented).
        assertThat(all.size() - storedIds.size()).isLessThanOrEqualTo(config.maxGroup() / 2);
    }

    @Test
    void sendsAGroupWhoseFirstEventWaitedTooLongEvenIfTheSubscriptionNeverCatchesUp() throws Exception {
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        try (OrderForwarder forwarder = OrderForwarder.start(storeThatNeverCatchesUp(), logWith(producer), db, "t_",
                TOPIC, OrderForwarderConfig.defaults())) {
            orders.place(new Order.Place("a", "c1", 1000, "EUR", 1, "web"));
            orders.place(new Order.Place("b", "c1", 1000, "EUR", 1, "web"));
            await(() -> producer.appendedEvents() == 2, "the group to go out once its first event waited 5 ms");
            // The producer counts a group when appendAll is called, the forwarder once that call returns (after the
            // real append, an fsync away): wait for the count, then check it is not more.
            await(() -> forwarder.forwarded() >= 2, "the forwarder to count the group it handed over");
            assertThat(forwarder.forwarded()).isEqualTo(2);
        }
    }

    @Test
    void sendsALoneEventOnceItWaitedTheGroupWaitThoughNoOtherEventArrivesAndTheSubscriptionNeverCatchesUp()
            throws Exception {
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        Duration wait = Duration.ofMillis(200);
        try (OrderForwarder forwarder = OrderForwarder.start(storeThatNeverCatchesUp(), logWith(producer), db, "t_",
                TOPIC, OrderForwarderConfig.defaults().withMaxGroupWait(wait))) {
            long before = System.nanoTime();
            orders.place(new Order.Place("alone", "c1", 1000, "EUR", 1, "web"));
            // Checked as events arrived, the wait never ran out: no second event came, no catch-up was reported.
            await(() -> producer.appendedEvents() == 1, "the lone event to go out once it waited the group wait");
            // It arrived after 'before', and went out no sooner than one group wait after it arrived.
            assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(wait);
            await(() -> forwarder.forwarded() >= 1, "the forwarder to count the event it handed over");   // as above
            assertThat(forwarder.forwarded()).isEqualTo(1);
            assertThat(forwarder.failure()).isEmpty();

            long again = System.nanoTime();
            orders.place(new Order.Place("later", "c1", 1000, "EUR", 1, "web"));
            await(() -> producer.appendedEvents() == 2, "a later lone event to go out on time too");
            assertThat(Duration.ofNanos(System.nanoTime() - again)).isGreaterThanOrEqualTo(wait);
        }
        assertThat(onTopic()).extracting(TopicReader.Read::eventId).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void sendsAGroupOnTheArrivalOfAnEventOnceItsFirstEventWaitedTheGroupWaitWithoutTheTimer() throws Exception {
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        // A zero wait has run out by the time each event arrives: the arrival check sends it under the same lock hold
        // that collected it, so the timer only ever finds an empty group. The store never reports catching up, so the
        // arrival check is the only path that can send from the subscription's thread.
        try (OrderForwarder forwarder = OrderForwarder.start(storeThatNeverCatchesUp(), logWith(producer), db, "t_",
                TOPIC, OrderForwarderConfig.defaults().withMaxGroupWait(Duration.ZERO))) {
            placeOrders(0, 12);   // 20 events
            int events = storedEvents().size();
            await(() -> producer.appendedEvents() == events, "every event to go out");
            assertThat(producer.groups()).allSatisfy(g -> assertThat(g.records()).hasSize(1));
            assertThat(producer.callers()).hasSize(events).doesNotContain(GROUP_TIMER);
            assertThat(forwarder.failure()).isEmpty();
        }
    }

    @Test
    void closeInterruptsAnAppendTheTimerStartedReturnsPromptlyAndDoesNotSendTheGroupAgain() throws Exception {
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        producer.interruptCall = 1;
        OrderForwarder forwarder = OrderForwarder.start(storeThatNeverCatchesUp(), logWith(producer), db, "t_", TOPIC,
                OrderForwarderConfig.defaults().withMaxGroupWait(Duration.ofMillis(50)));
        orders.place(new Order.Place("a", "c1", 1000, "EUR", 1, "web"));
        orders.place(new Order.Place("b", "c1", 1000, "EUR", 1, "web"));
        assertThat(producer.interruptReached.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(producer.callers()).as("the timer sent the group and blocks in its append, holding the lock")
                .containsExactly(GROUP_TIMER);

        Thread closing = Thread.ofVirtual().start(forwarder::close);
        // The blocked append sleeps 60 s unless interrupted: a close that cannot interrupt the timer waits that long.
        assertThat(closing.join(Duration.ofSeconds(15))).as("close returned").isTrue();
        assertThat(producer.callers()).as("close did not send the interrupted group again").hasSize(1);
        assertThat(forwarder.failure()).as("an append interrupted by close is not a failure").isEmpty();
        assertThat(checkpoint()).as("the checkpoint stays before the interrupted group").isEqualTo(EventStore.BEGINNING);

        try (OrderForwarder next = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            await(() -> next.forwarded() == 2, "the next run to forward both events");
        }
        assertThat(onTopic()).extracting(TopicReader.Read::eventId).containsAll(positions().keySet());
    }

    @Test
    void anErrorFromAnAppendTheTimerStartedStopsTheForwarderAndTheCheckpointNeverPassesTheLostGroup()
            throws Exception {
        HandAckProducer producer = new HandAckProducer(log.producer());
        producer.ackAllFromNowOn();
        producer.errorCall = 1;
        Duration wait = Duration.ofMillis(50);
        OrderForwarder forwarder = OrderForwarder.start(storeThatNeverCatchesUp(), logWith(producer), db, "t_", TOPIC,
                OrderForwarderConfig.defaults().withMaxGroupWait(wait));
        orders.place(new Order.Place("lost", "c1", 1000, "EUR", 1, "web"));
        await(() -> producer.callers().size() == 1, "the timer to send the first event's group");
        assertThat(producer.callers()).containsExactly(GROUP_TIMER);
        // Later events: each goes out on its own once it waited (by the timer, or on arrival if the timer is gone),
        // unless the forwarder stopped.
        for (int i = 0; i < 3; i++) {
            orders.place(new Order.Place("later" + i, "c1", 1000, "EUR", 1, "web"));
            Thread.sleep(wait.toMillis() * 3);
        }
        await(() -> forwarder.failure().isPresent(), "the forwarder to stop with the timer's failure");
        assertThat(forwarder.failure().orElseThrow()).hasRootCauseInstanceOf(AppendError.class);
        assertThat(producer.appendedEvents()).as("nothing forwarded after the lost group").isZero();

        assertThatThrownBy(forwarder::close).hasRootCauseInstanceOf(AppendError.class);
        assertThat(checkpoint()).as("the checkpoint stays before the group the Error lost")
                .isEqualTo(EventStore.BEGINNING);

        try (OrderForwarder next = OrderForwarder.start(store, log, db, "t_", TOPIC)) {
            await(() -> next.forwarded() == 4, "the next run to forward every event, the lost one first");
        }
        assertThat(onTopic()).extracting(TopicReader.Read::eventId).containsAll(positions().keySet());
    }
}
