package io.tributary.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one conformance kit every event store backend extends unchanged. A backend supplies a fresh, empty store per
 * call of {@link #newStore()} and a way to make a commit late ({@link #appendWithLateCommit}), which the no-skip
 * property uses to force out-of-order commits.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class EventStoreConformanceKit {

    /** A fresh, empty store. Called once per test (and per property try). */
    protected abstract EventStore newStore();

    /**
     * Appends like {@link EventStore#append}, but holds the commit open for {@code delay} after the events got their
     * positions (where the backend has such a window), so later appends can commit first.
     */
    protected abstract WriteResult appendWithLateCommit(EventStore store, String stream, ExpectedVersion expected,
                                                        List<EventData> events, Duration delay) throws Exception;

    protected EventStore store;

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    private final AtomicLong lastWritten = new AtomicLong(EventStore.BEGINNING);

    /** Appends through the store and remembers the highest position written, for {@link #settled()}. */
    protected WriteResult write(String stream, ExpectedVersion expected, EventData... events) {
        return write(stream, expected, List.of(events));
    }

    protected WriteResult write(String stream, ExpectedVersion expected, List<EventData> events) {
        WriteResult r = store.append(stream, expected, events);
        lastWritten.accumulateAndGet(r.lastPosition(), Math::max);
        return r;
    }

    /**
     * The store, once its committed watermark covers every append made through {@link #write}. $all shows an event
     * when the watermark passes it; on PostgreSQL an older transaction still open elsewhere in the cluster delays
     * that (never loses the event), so reads of $all wait for it rather than assume it is immediate.
     */
    protected EventStore settled() {
        long deadline = System.currentTimeMillis() + 20_000;
        while (store.committedPosition() < lastWritten.get()) {
            assertThat(System.currentTimeMillis()).as("watermark reached %d within 20 s", lastWritten.get()).isLessThan(deadline);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return store;
    }

    protected static EventData event(String type, String body) {
        return EventData.of(type, body.getBytes(StandardCharsets.UTF_8));
    }

    protected static String body(RecordedEvent e) {
        return new String(e.data(), StandardCharsets.UTF_8);
    }

    private static List<EventData> events(int n, String type) {
        List<EventData> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(event(type, "e" + i));
        }
        return out;
    }

    private static List<RecordedEvent> readAllEvents(EventStore s, EventFilter filter) {
        List<RecordedEvent> out = new ArrayList<>();
        long pos = EventStore.BEGINNING;
        while (true) {
            AllSlice slice = s.readAll(pos, 100, filter);
            out.addAll(slice.events());
            pos = slice.nextPosition();
            if (slice.endOfAll()) {
                return out;
            }
        }
    }

    // ---- appends, versions, reads ----

    @Test
    void appendsGiveVersionsFromZeroWithoutGaps() {
        WriteResult first = write("order-1", ExpectedVersion.noStream(), events(3, "Placed"));
        WriteResult second = write("order-1", ExpectedVersion.exactly(2), events(2, "Paid"));

        assertThat(first.lastVersion()).isEqualTo(2);
        assertThat(second.lastVersion()).isEqualTo(4);
        assertThat(store.readStreamForward("order-1", 0, 100)).extracting(RecordedEvent::version)
                .containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(store.streamInfo("order-1")).isEqualTo(new StreamInfo("order-1", 4, StreamInfo.State.ACTIVE));
    }

    @Test
    void readsAStreamForwardAndBackwardFromAVersionWithAMaxCount() {
        write("order-2", ExpectedVersion.noStream(), events(10, "Step"));

        assertThat(store.readStreamForward("order-2", 3, 4)).extracting(RecordedEvent::version).containsExactly(3L, 4L, 5L, 6L);
        assertThat(store.readStreamBackward("order-2", 5, 3)).extracting(RecordedEvent::version).containsExactly(5L, 4L, 3L);
        assertThat(store.readStreamBackward("order-2", Long.MAX_VALUE, 2)).extracting(RecordedEvent::version).containsExactly(9L, 8L);
        assertThat(store.readStreamForward("order-2", 10, 5)).isEmpty();
        assertThat(store.readStreamForward("order-missing", 0, 5)).isEmpty();
    }

    @Test
    void storesEventIdTypePayloadAndMetadataWithCorrelationCausationAndTraceparent() {
        String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        EventData tagged = event("Placed", "{\"total\":5}").withCorrelationId("corr-1").withCausationId("cmd-9")
                .withTraceparent(traceparent);
        EventData e = tagged.withMetadata(tagged.metadata().with("tenant", "acme"));
        write("order-3", ExpectedVersion.any(), e);

        RecordedEvent read = store.readStreamForward("order-3", 0, 1).getFirst();
        assertThat(read.eventId()).isEqualTo(e.eventId());
        assertThat(read.type()).isEqualTo("Placed");
        assertThat(body(read)).isEqualTo("{\"total\":5}");
        assertThat(read.correlationId()).contains("corr-1");
        assertThat(read.causationId()).contains("cmd-9");
        assertThat(read.traceparent()).contains(traceparent);
        assertThat(read.metadata().lastString("tenant")).contains("acme");
        assertThat(read.category()).isEqualTo("order");
        assertThat(read.recordedAt()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
    }

    // ---- expected versions ----

    @Test
    void rejectsAnAppendWhenTheExpectedVersionIsStale() {
        write("order-4", ExpectedVersion.noStream(), events(3, "Placed"));

        assertThatThrownBy(() -> write("order-4", ExpectedVersion.exactly(1), event("Paid", "")))
                .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> {
                    assertThat(e.stream()).isEqualTo("order-4");
                    assertThat(e.expected()).isEqualTo(ExpectedVersion.exactly(1));
                    assertThat(e.actual()).isEqualTo(2);
                    assertThat(e.code()).isEqualTo(EventStoreErrors.WRONG_EXPECTED_VERSION);
                    assertThat(e.getMessage()).contains("order-4", "version 1", "version 2");
                });
        assertThat(store.streamInfo("order-4").lastVersion()).isEqualTo(2);
    }

    @Test
    void checksNoStreamStreamExistsAndAnyExpectations() {
        assertThatThrownBy(() -> write("order-5", ExpectedVersion.streamExists(), event("A", "")))
                .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> assertThat(e.actual()).isEqualTo(StreamInfo.NO_STREAM));
        write("order-5", ExpectedVersion.noStream(), event("A", ""));
        assertThatThrownBy(() -> write("order-5", ExpectedVersion.noStream(), event("B", "")))
                .isInstanceOfSatisfying(WrongExpectedVersionException.class, e -> assertThat(e.actual()).isZero());
        write("order-5", ExpectedVersion.streamExists(), event("C", ""));
        write("order-5", ExpectedVersion.any(), event("D", ""));
        write("order-6", ExpectedVersion.any(), event("E", ""));

        assertThat(store.readStreamForward("order-5", 0, 10)).extracting(RecordedEvent::type).containsExactly("A", "C", "D");
        assertThat(store.streamInfo("order-6").lastVersion()).isZero();
    }

    @Test
    void concurrentAppendsToOneStreamHaveExactlyOneWinnerPerVersion() throws Exception {
        write("order-7", ExpectedVersion.noStream(), event("Start", ""));
        int writers = 8;
        int rounds = 15;
        AtomicInteger wins = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < rounds; r++) {
                        long current = store.streamInfo("order-7").lastVersion();
                        try {
                            write("order-7", ExpectedVersion.exactly(current), event("W", writer + ":" + current));
                            wins.incrementAndGet();
                        } catch (WrongExpectedVersionException e) {
                            conflicts.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(50, TimeUnit.SECONDS);
            }
        }
        List<RecordedEvent> all = store.readStreamForward("order-7", 0, 10_000);
        assertThat(all).hasSize(1 + wins.get());
        assertThat(wins.get() + conflicts.get()).isEqualTo(writers * rounds);
        for (int i = 1; i < all.size(); i++) {
            // each winner decided on version i-1: exactly one append per expected version got through
            assertThat(body(all.get(i))).endsWith(":" + (i - 1));
            assertThat(all.get(i).version()).isEqualTo(i);
        }
    }

    /** Regression: the embedded store once let a loser re-read a stale version and lose every retry (livelock). */
    @Test
    void aReadAfterAConflictSeesTheWinningVersion() throws Exception {
        write("order-12", ExpectedVersion.noStream(), event("Start", ""));
        AtomicInteger staleReads = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                futures.add(pool.submit(() -> {
                    for (int r = 0; r < 20; r++) {
                        long seen = store.readStreamBackward("order-12", Long.MAX_VALUE, 1).getFirst().version();
                        try {
                            write("order-12", ExpectedVersion.exactly(seen), event("W", ""));
                        } catch (WrongExpectedVersionException e) {
                            conflicts.incrementAndGet();
                            if (store.readStreamBackward("order-12", Long.MAX_VALUE, 1).getFirst().version() < e.actual()) {
                                staleReads.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(50, TimeUnit.SECONDS);
            }
        }
        assertThat(staleReads.get()).as("reads after %d conflicts that missed the winner", conflicts.get()).isZero();
    }

    // ---- idempotency ----

    @Test
    void reappendingTheSameEventsAtTheSamePositionSucceedsWithoutDuplicates() {
        List<EventData> batch = events(3, "Placed");
        WriteResult first = write("order-8", ExpectedVersion.noStream(), batch);
        WriteResult again = write("order-8", ExpectedVersion.noStream(), batch);
        WriteResult againAny = write("order-8", ExpectedVersion.any(), batch);

        assertThat(again.idempotent()).isTrue();
        assertThat(againAny.idempotent()).isTrue();
        assertThat(again.lastVersion()).isEqualTo(first.lastVersion());
        assertThat(again.firstPosition()).isEqualTo(first.firstPosition());
        assertThat(store.readStreamForward("order-8", 0, 100)).hasSize(3);
        assertThat(readAllEvents(settled(), EventFilter.stream("order-8"))).hasSize(3);

        WriteResult next = write("order-8", ExpectedVersion.exactly(2), batch.subList(0, 1).stream()
                .map(e -> event("Other", "")).toList());
        assertThat(next.lastVersion()).isEqualTo(3);
        // retrying the second append with its original expectation is also idempotent
        List<EventData> second = List.of(event("Paid", ""));
        write("order-8", ExpectedVersion.exactly(3), second);
        assertThat(write("order-8", ExpectedVersion.exactly(3), second).idempotent()).isTrue();
    }

    @Test
    void reusingAnEventIdAtAnotherPositionIsAConflict() {
        EventData e = event("Placed", "");
        write("order-9", ExpectedVersion.noStream(), e);

        assertThatThrownBy(() -> write("order-10", ExpectedVersion.any(), e))
                .isInstanceOfSatisfying(DuplicateEventIdException.class, x -> {
                    assertThat(x.eventId()).isEqualTo(e.eventId());
                    assertThat(x.code()).isEqualTo(EventStoreErrors.DUPLICATE_EVENT_ID);
                });
        write("order-9", ExpectedVersion.exactly(0), event("Paid", ""));
        assertThatThrownBy(() -> write("order-9", ExpectedVersion.exactly(1), e))
                .isInstanceOf(DuplicateEventIdException.class);
        assertThatThrownBy(() -> write("order-9", ExpectedVersion.any(), List.of(e, event("New", ""))))
                .isInstanceOf(DuplicateEventIdException.class);
        assertThat(store.readStreamForward("order-9", 0, 10)).hasSize(2);
        assertThat(store.streamInfo("order-10").state()).isNotEqualTo(StreamInfo.State.ACTIVE);
    }

    // ---- $all, categories, filters, watermark ----

    @Test
    void globalPositionsIncreaseInAllOrderAndKeepEachStreamsOrder() {
        for (int i = 0; i < 20; i++) {
            write("cart-" + (i % 3), ExpectedVersion.any(), events(1 + i % 2, "Added"));
        }
        List<RecordedEvent> all = readAllEvents(settled(), EventFilter.all());

        assertThat(all).hasSize(30);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).position()).isGreaterThan(all.get(i - 1).position());
        }
        Map<String, Long> lastVersion = new HashMap<>();
        for (RecordedEvent e : all) {
            assertThat(e.version()).isEqualTo(lastVersion.getOrDefault(e.stream(), -1L) + 1);
            lastVersion.put(e.stream(), e.version());
        }
        assertThat(settled().committedPosition()).isGreaterThanOrEqualTo(all.getLast().position());
    }

    @Test
    void readsAllFilteredByEventTypeByStreamPrefixAndByCategory() {
        write("invoice-1", ExpectedVersion.any(), event("Issued", ""), event("Paid", ""));
        write("invoice-2", ExpectedVersion.any(), event("Issued", ""));
        write("payment-1", ExpectedVersion.any(), event("Paid", ""));
        write("inventory-1", ExpectedVersion.any(), event("Counted", ""));

        assertThat(readAllEvents(settled(), EventFilter.eventTypes("Paid"))).extracting(RecordedEvent::stream)
                .containsExactly("invoice-1", "payment-1");
        assertThat(readAllEvents(settled(), EventFilter.streamPrefix("inv"))).extracting(RecordedEvent::stream)
                .containsExactly("invoice-1", "invoice-1", "invoice-2", "inventory-1");
        assertThat(settled().readCategory("invoice", EventStore.BEGINNING, 10).events()).extracting(RecordedEvent::type)
                .containsExactly("Issued", "Paid", "Issued");
        assertThat(readAllEvents(settled(), EventFilter.category("invoice").withEventTypes(Set.of("Issued")))).hasSize(2);
    }

    @Test
    void aFilteredReadStillAdvancesPastEventsItSkips() {
        write("a-1", ExpectedVersion.any(), events(5, "Noise"));
        AllSlice slice = settled().readAll(EventStore.BEGINNING, 10, EventFilter.eventTypes("Signal"));

        assertThat(slice.events()).isEmpty();
        assertThat(slice.endOfAll()).isTrue();
        assertThat(slice.nextPosition()).isGreaterThanOrEqualTo(readAllEvents(settled(), EventFilter.all()).getLast().position());
    }

    @Test
    void theCommittedWatermarkCoversEveryAcknowledgedAppend() {
        long before = store.committedPosition();
        WriteResult w = write("order-11", ExpectedVersion.any(), events(4, "X"));

        assertThat(settled().committedPosition()).isGreaterThanOrEqualTo(w.lastPosition()).isGreaterThan(before);
        assertThat(settled().readAll(w.firstPosition() - 1, 10, EventFilter.all()).events()).hasSize(4);
    }

    // ---- subscriptions ----

    @Test
    void aSubscriptionCatchesUpThenGoesLiveWithoutGapOrDuplicateAtTheSwitch() throws Exception {
        for (int i = 0; i < 150; i++) {
            write("acct-" + (i % 7), ExpectedVersion.any(), event("Old", "" + i));
        }
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        AtomicLong liveAt = new AtomicLong(-2);
        // isLive means "caught up at least once", and the dispatcher sets it on the caught-up marker that follows the
        // last delivery: awaitPosition can return before that marker is handled, so the test waits for onCaughtUp.
        CountDownLatch caughtUp = new CountDownLatch(1);
        CountDownLatch writerStarted = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            writerStarted.countDown();
            for (int i = 0; i < 150; i++) {
                write("acct-" + (i % 5), ExpectedVersion.any(), event("New", "" + i));
            }
        });
        writerStarted.await();
        try (Subscription sub = store.subscribe(EventFilter.all(), EventStore.BEGINNING,
                SubscriptionConfig.defaults().withBatchSize(16).withBufferSize(32), new EventHandler() {
                    @Override
                    public void handle(RecordedEvent event) {
                        seen.add(event);
                    }

                    @Override
                    public void onCaughtUp(long position) {
                        liveAt.compareAndSet(-2, position);
                        caughtUp.countDown();
                    }
                })) {
            writer.join(30_000);
            List<RecordedEvent> expected = readAllEvents(settled(), EventFilter.all());
            assertThat(sub.awaitPosition(expected.getLast().position(), Duration.ofSeconds(20)))
                    .as("subscriber reached the last position (failure: %s)", sub.failure()).isTrue();
            assertThat(caughtUp.await(20, TimeUnit.SECONDS))
                    .as("onCaughtUp was called (failure: %s)", sub.failure()).isTrue();
            assertThat(sub.isLive()).as("live once onCaughtUp was called (failure: %s)", sub.failure()).isTrue();
            assertThat(liveAt.get()).isGreaterThan(-2);
            assertThat(seen).containsExactlyElementsOf(expected);
            assertThat(expected).hasSize(300);
        }
    }

    @Test
    void aSubscriptionResumesAfterTheCallersCheckpoint() throws Exception {
        write("acct-1", ExpectedVersion.any(), events(10, "E"));
        List<RecordedEvent> all = readAllEvents(settled(), EventFilter.all());
        long checkpoint = all.get(5).position();
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        try (Subscription sub = store.subscribe(EventFilter.all(), checkpoint, seen::add)) {
            assertThat(sub.awaitPosition(all.getLast().position(), Duration.ofSeconds(10))).isTrue();
        }
        assertThat(seen).containsExactlyElementsOf(all.subList(6, 10));
    }

    @Test
    void subscriptionsToAStreamAndToACategoryDeliverOnlyTheirEvents() throws Exception {
        List<RecordedEvent> streamSeen = new CopyOnWriteArrayList<>();
        List<RecordedEvent> categorySeen = new CopyOnWriteArrayList<>();
        try (Subscription s1 = store.subscribe(EventFilter.stream("ship-1"), EventStore.BEGINNING, streamSeen::add);
             Subscription s2 = store.subscribe(EventFilter.category("ship"), EventStore.BEGINNING, categorySeen::add)) {
            write("ship-1", ExpectedVersion.any(), event("A", ""));
            write("ship-2", ExpectedVersion.any(), event("B", ""));
            write("dock-1", ExpectedVersion.any(), event("C", ""));
            WriteResult last = write("ship-1", ExpectedVersion.any(), event("D", ""));
            assertThat(s1.awaitPosition(last.lastPosition(), Duration.ofSeconds(10))).isTrue();
            assertThat(s2.awaitPosition(last.lastPosition(), Duration.ofSeconds(10))).isTrue();
        }
        assertThat(streamSeen).extracting(RecordedEvent::type).containsExactly("A", "D");
        assertThat(categorySeen).extracting(RecordedEvent::type).containsExactly("A", "B", "D");
    }

    @Test
    void aSlowSubscriberIsHeldBackByItsBoundedBufferAndLosesNothing() throws Exception {
        write("log-1", ExpectedVersion.any(), events(60, "E"));
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        CountDownLatch gate = new CountDownLatch(1);
        try (Subscription sub = store.subscribe(EventFilter.all(), EventStore.BEGINNING,
                SubscriptionConfig.defaults().withBufferSize(8).withBatchSize(4), e -> {
                    gate.await();
                    seen.add(e);
                })) {
            Thread.sleep(300);
            // the handler is blocked on the first event: the subscription holds at most its buffer, not the store
            assertThat(sub.position()).isEqualTo(EventStore.BEGINNING);
            gate.countDown();
            long last = readAllEvents(settled(), EventFilter.all()).getLast().position();
            assertThat(sub.awaitPosition(last, Duration.ofSeconds(10))).isTrue();
        }
        assertThat(seen).hasSize(60);
    }

    @Test
    void aFailingHandlerStopsTheSubscriptionAndReportsWhy() throws Exception {
        write("log-2", ExpectedVersion.any(), events(3, "E"));
        try (Subscription sub = store.subscribe(EventFilter.all(), EventStore.BEGINNING, e -> {
            throw new IllegalStateException("projection broke on " + e.version());
        })) {
            long deadline = System.currentTimeMillis() + 10_000;
            while (sub.failure().isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertThat(sub.failure()).get().asString().contains("projection broke on 0");
            assertThat(sub.position()).isEqualTo(EventStore.BEGINNING);
        }
    }

    // ---- metadata limits, deletes ----

    @Test
    void maxCountHidesAllButTheNewestEventsFromEveryRead() {
        write("temp-1", ExpectedVersion.any(), events(10, "T"));
        store.setStreamMetadata("temp-1", StreamMetadata.none().withMaxCount(3));

        assertThat(store.streamMetadata("temp-1").maxCount()).hasValue(3);
        assertThat(store.readStreamForward("temp-1", 0, 100)).extracting(RecordedEvent::version).containsExactly(7L, 8L, 9L);
        assertThat(readAllEvents(settled(), EventFilter.stream("temp-1"))).hasSize(3);
        write("temp-1", ExpectedVersion.exactly(9), event("T", ""));
        assertThat(store.readStreamForward("temp-1", 0, 100)).extracting(RecordedEvent::version).containsExactly(8L, 9L, 10L);
    }

    @Test
    void truncateBeforeHidesEarlierVersionsAndMaxAgeHidesExpiredEvents() throws Exception {
        write("temp-2", ExpectedVersion.any(), events(5, "T"));
        store.setStreamMetadata("temp-2", StreamMetadata.none().withTruncateBefore(3));
        assertThat(store.readStreamForward("temp-2", 0, 100)).extracting(RecordedEvent::version).containsExactly(3L, 4L);
        assertThat(settled().readCategory("temp", EventStore.BEGINNING, 100).events()).hasSize(2);

        write("temp-3", ExpectedVersion.any(), events(2, "T"));
        Thread.sleep(150);
        write("temp-3", ExpectedVersion.any(), events(1, "T"));
        store.setStreamMetadata("temp-3", StreamMetadata.none().withMaxAge(Duration.ofMillis(100)));
        assertThat(store.readStreamForward("temp-3", 0, 100)).extracting(RecordedEvent::version).containsExactly(2L);
        assertThat(store.streamMetadata("temp-3").maxAge()).contains(Duration.ofMillis(100));
        assertThat(store.streamMetadata("never-set")).isEqualTo(StreamMetadata.none());
    }

    @Test
    void softDeleteHidesTheEventsAndAnAppendRecreatesTheStreamContinuingItsVersions() {
        write("user-1", ExpectedVersion.any(), events(3, "U"));
        store.deleteStream("user-1", ExpectedVersion.exactly(2));

        assertThat(store.readStreamForward("user-1", 0, 10)).isEmpty();
        assertThat(store.streamInfo("user-1").state()).isEqualTo(StreamInfo.State.SOFT_DELETED);
        assertThat(readAllEvents(settled(), EventFilter.stream("user-1"))).isEmpty();

        WriteResult again = write("user-1", ExpectedVersion.noStream(), event("Back", ""));
        assertThat(again.lastVersion()).isEqualTo(3);
        assertThat(store.readStreamForward("user-1", 0, 10)).extracting(RecordedEvent::type).containsExactly("Back");
        assertThat(store.streamInfo("user-1")).isEqualTo(new StreamInfo("user-1", 3, StreamInfo.State.ACTIVE));
    }

    @Test
    void hardDeleteLeavesATombstoneSoTheNameCanNeverBeReused() {
        write("user-2", ExpectedVersion.any(), events(3, "U"));
        store.saveSnapshot(new Snapshot("user-2", 2, "S", new byte[]{1}, System.currentTimeMillis()));
        assertThatThrownBy(() -> store.tombstoneStream("user-2", ExpectedVersion.exactly(0)))
                .isInstanceOf(WrongExpectedVersionException.class);
        store.tombstoneStream("user-2", ExpectedVersion.any());

        assertThat(store.streamInfo("user-2").state()).isEqualTo(StreamInfo.State.TOMBSTONED);
        assertThatThrownBy(() -> store.readStreamForward("user-2", 0, 10)).isInstanceOfSatisfying(
                StreamDeletedException.class, e -> assertThat(e.code()).isEqualTo(EventStoreErrors.STREAM_DELETED));
        assertThatThrownBy(() -> write("user-2", ExpectedVersion.any(), event("U", "")))
                .isInstanceOf(StreamDeletedException.class);
        assertThatThrownBy(() -> write("user-2", ExpectedVersion.noStream(), event("U", "")))
                .isInstanceOf(StreamDeletedException.class);
        assertThatThrownBy(() -> store.deleteStream("user-2", ExpectedVersion.any())).isInstanceOf(StreamDeletedException.class);
        assertThat(readAllEvents(settled(), EventFilter.stream("user-2"))).isEmpty();
        assertThat(store.latestSnapshot("user-2", Long.MAX_VALUE)).isEmpty();
    }

    // ---- snapshots, aggregates, temporal queries ----

    @Test
    void theLatestSnapshotAtOrBelowAVersionIsReturned() {
        write("acct-9", ExpectedVersion.any(), events(10, "E"));
        store.saveSnapshot(new Snapshot("acct-9", 3, "S", new byte[]{3}, 1));
        store.saveSnapshot(new Snapshot("acct-9", 7, "S", new byte[]{7}, 2));

        assertThat(store.latestSnapshot("acct-9", Long.MAX_VALUE)).get().extracting(Snapshot::version).isEqualTo(7L);
        assertThat(store.latestSnapshot("acct-9", 6)).get().extracting(Snapshot::version).isEqualTo(3L);
        assertThat(store.latestSnapshot("acct-9", 2)).isEmpty();
        assertThatThrownBy(() -> store.saveSnapshot(new Snapshot("acct-10", 0, "S", new byte[0], 1)))
                .hasMessageContaining("does not exist");
    }

    private AggregateRepository<BankAccount.Command, BankAccount.State, BankAccount.Event> accounts(int snapshotEvery) {
        return new AggregateRepository<>(store, "account", BankAccount.DECIDER, BankAccount.CODEC,
                BankAccount.STATE_CODEC, RepositoryConfig.defaults().withSnapshotEvery(snapshotEvery));
    }

    @Test
    void anAggregateDecidesAppendsAndRejectsWithoutAppending() {
        var repo = accounts(0);
        assertThat(repo.handle("42", new BankAccount.Open("ada"))).isInstanceOf(CommandResult.Accepted.class);
        repo.handle("42", new BankAccount.Deposit(100));
        CommandResult<BankAccount.State> rejected = repo.handle("42", new BankAccount.Withdraw(250));

        assertThat(rejected).isInstanceOfSatisfying(CommandResult.Rejected.class, r -> {
            assertThat(r.reason()).contains("insufficient funds", "100", "250");
            assertThat(r.version()).isEqualTo(1);
        });
        assertThat(store.streamInfo("account-42").lastVersion()).isEqualTo(1);
        CommandResult<BankAccount.State> ok = repo.handle("42", new BankAccount.Withdraw(30));
        assertThat(ok).isInstanceOfSatisfying(CommandResult.Accepted.class, a -> {
            assertThat(a.version()).isEqualTo(2);
            assertThat(a.state()).isEqualTo(new BankAccount.State(true, "ada", 70));
        });
        assertThat(repo.load("42").state().balance()).isEqualTo(70);
        assertThat(store.readStreamForward("account-42", 0, 10).getFirst().correlationId()).isPresent();
    }

    @Test
    void concurrentCommandsOnOneAggregateRetryOnConflictAndNoDepositIsLost() throws Exception {
        var repo = accounts(0);
        repo.handle("7", new BankAccount.Open("bo"));
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<CommandResult<BankAccount.State>>> fs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                fs.add(pool.submit(() -> accountsWithManyAttempts().handle("7", new BankAccount.Deposit(1))));
            }
            for (var f : fs) {
                assertThat(f.get(50, TimeUnit.SECONDS)).isInstanceOf(CommandResult.Accepted.class);
            }
        }
        assertThat(repo.load("7").state().balance()).isEqualTo(30);
        assertThat(repo.load("7").version()).isEqualTo(30);
    }

    private AggregateRepository<BankAccount.Command, BankAccount.State, BankAccount.Event> accountsWithManyAttempts() {
        return new AggregateRepository<>(store, "account", BankAccount.DECIDER, BankAccount.CODEC, null,
                RepositoryConfig.defaults().withMaxAttempts(100));
    }

    @Test
    void loadingFromASnapshotGivesTheSameStateAsReplayingEveryEvent() {
        var withSnapshots = accounts(10);
        withSnapshots.handle("s", new BankAccount.Open("cy"));
        for (int i = 1; i <= 35; i++) {
            withSnapshots.handle("s", new BankAccount.Deposit(i));
        }
        assertThat(store.latestSnapshot("account-s", Long.MAX_VALUE)).get().extracting(Snapshot::version).isEqualTo(29L);
        var replayOnly = new AggregateRepository<>(store, "account", BankAccount.DECIDER, BankAccount.CODEC);

        assertThat(withSnapshots.load("s")).isEqualTo(replayOnly.load("s"));
        assertThat(withSnapshots.load("s").state().balance()).isEqualTo(35 * 36 / 2);
    }

    @Test
    void temporalQueriesGiveTheStateAsOfAVersionAndAsOfATime() throws Exception {
        var repo = accounts(5);
        repo.handle("t", new BankAccount.Open("di"));
        repo.handle("t", new BankAccount.Deposit(10));
        Thread.sleep(30);
        Instant between = Instant.now();
        Thread.sleep(30);
        for (int i = 0; i < 8; i++) {
            repo.handle("t", new BankAccount.Deposit(100));
        }

        assertThat(repo.loadAsOf("t", 1).state().balance()).isEqualTo(10);
        assertThat(repo.loadAsOf("t", 6).state().balance()).isEqualTo(510);
        assertThat(repo.loadAsOf("t", 6).version()).isEqualTo(6);
        assertThat(repo.loadAsOf("t", between).state().balance()).isEqualTo(10);
        assertThat(repo.loadAsOf("t", between).version()).isEqualTo(1);
        assertThat(repo.loadAsOf("t", Instant.now().plusSeconds(1)).state().balance()).isEqualTo(810);
    }

    // ---- the no-skip property ----

    /**
     * Many writers append concurrently, some holding their commit open for a random while so that later positions
     * commit first; a subscriber to $all started before them must see every acknowledged event exactly once, in
     * position order, and each stream's events in version order. jqwik logs the seed of every try.
     */
    @Property(tries = 4)
    void aSubscriberToAllNeverSkipsAnEventWhateverTheCommitInterleaving(
            @ForAll @IntRange(min = 4, max = 12) int writers,
            @ForAll @IntRange(min = 5, max = 25) int appendsPerWriter,
            @ForAll @IntRange(min = 1, max = 40) int maxDelayMs,
            @ForAll long seed) throws Exception {
        EventStore s = newStore();
        try {
            Set<UUID> seenIds = ConcurrentHashMap.newKeySet();
            List<RecordedEvent> seen = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger duplicates = new AtomicInteger();
            try (Subscription sub = s.subscribe(EventFilter.all(), EventStore.BEGINNING,
                    SubscriptionConfig.defaults().withPollInterval(Duration.ofMillis(5)).withBatchSize(7), e -> {
                        if (!seenIds.add(e.eventId())) {
                            duplicates.incrementAndGet();
                        }
                        seen.add(e);
                    });
                 ExecutorService pool = Executors.newFixedThreadPool(writers)) {
                Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
                AtomicLong maxPosition = new AtomicLong(-1);
                List<Future<?>> futures = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    Random random = new Random(seed + w);
                    String stream = "nsk-" + (w % Math.max(2, writers / 2));
                    futures.add(pool.submit(() -> {
                        for (int a = 0; a < appendsPerWriter; a++) {
                            List<EventData> batch = events(1 + random.nextInt(3), "N");
                            WriteResult r = random.nextInt(3) == 0
                                    ? appendWithLateCommit(s, stream, ExpectedVersion.any(), batch,
                                    Duration.ofMillis(random.nextInt(maxDelayMs + 1)))
                                    : s.append(stream, ExpectedVersion.any(), batch);
                            batch.forEach(b -> acknowledged.add(b.eventId()));
                            maxPosition.accumulateAndGet(r.lastPosition(), Math::max);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
                assertThat(sub.awaitPosition(maxPosition.get(), Duration.ofSeconds(30)))
                        .as("subscriber reached the last acknowledged position (failure: %s)", sub.failure()).isTrue();
                assertThat(duplicates.get()).isZero();
                assertThat(seenIds).isEqualTo(acknowledged);
                List<RecordedEvent> snapshot = List.copyOf(seen);
                Map<String, Long> versions = new HashMap<>();
                Set<Long> positions = new HashSet<>();
                for (int i = 0; i < snapshot.size(); i++) {
                    RecordedEvent e = snapshot.get(i);
                    if (i > 0) {
                        assertThat(e.position()).isGreaterThan(snapshot.get(i - 1).position());
                    }
                    assertThat(positions.add(e.position())).isTrue();
                    assertThat(e.version()).isEqualTo(versions.getOrDefault(e.stream(), -1L) + 1);
                    versions.put(e.stream(), e.version());
                }
            }
        } finally {
            s.close();
        }
    }
}
