package io.tributary.examples.orders;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventHandler;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.Subscription;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.schema.WireFormat;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Publishes every order event from the event store to the {@code orders} topic, keyed by order id, so other services
 * react to orders without reading the event store.
 *
 * <p><b>Ordering.</b> A catch-up subscription on the {@code order} category delivers events in global position order;
 * the forwarder collects them and appends them with one {@code appendAll} per group (one producer, and the appends
 * are serialized by one lock, so a key's events reach its partition in order), without waiting for each
 * acknowledgement. A group is sent when it holds {@link OrderForwarderConfig#maxGroup()} events, when its first event
 * has waited {@link OrderForwarderConfig#maxGroupWait()}, or when the subscription has caught up with the store (so the
 * last events of a burst never wait for more to come). The wait is enforced by a timer thread as well as on each
 * arrival: a group whose subscription neither delivers another event nor reports catching up (a store whose
 * watermark is held back, a filtered read that ends short of it) still goes out once its first event waited.
 *
 * <p><b>Durability (at least once).</b> Every {@link OrderForwarderConfig#checkpointEvery()} events, and on close, it
 * stores in {@code <prefix>forwarder_checkpoint} the position of the last event whose append <i>and every earlier
 * one</i> the log acknowledged, so the checkpoint is never ahead of what was published. After a crash, or after an
 * append that failed or was interrupted by {@link #close()}, it resumes from the checkpoint: events after it are
 * published again, which consumers absorb because every record carries the event's id and stream version. A group
 * handed to the log is never handed over again by the same run (not even when its append failed part-way, which may
 * have stored part of it), so a clean close repeats nothing.
 *
 * <p><b>Back-pressure.</b> At most {@link OrderForwarderConfig#maxUnacknowledged()} events are handed to the log and
 * not yet acknowledged: a group that would pass the bound waits for the oldest appends first, which slows the
 * subscription (its buffer is bounded) rather than growing memory.
 *
 * <p><b>Thread-safety.</b> The subscription calls the handler on one thread, the group-wait timer runs on its own
 * virtual thread and {@link #close()} on a third, so the collected group, the appends in flight and the counters
 * behind the checkpoint are guarded by one lock. A failure of a timed send stops the forwarder like a failure in the
 * handler (Errors included): the next event delivered fails the subscription with it. The
 * {@link #forwarded()} counter is safe to read from any thread.
 */
public final class OrderForwarder implements AutoCloseable {

    /** A group's append in flight, how many events it holds and the event-store position of its last event. */
    private record Pending(CompletableFuture<List<AppendResult>> ack, int events, long position,
                           boolean interruptedByClose) {
    }

    private final DataSource db;
    private final String checkpointTable;
    private final String topic;
    private final OrderForwarderConfig config;
    private final long maxGroupWaitNanos;
    private final LogProducer producer;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a group gets its first event while the timer has no group to wait for, and on close. */
    private final Condition groupStarted = lock.newCondition();
    /** Whether the timer waits for a group to start (so only then does a new group need to wake it). */
    private boolean timerIdle;
    /**
     * Why a send started by the timer failed; the subscription's next event fails with it. A Throwable, not an
     * Exception: an Error from the append must stop the forwarder too, or the next group's acknowledgement would move
     * the checkpoint past the group it lost.
     */
    private volatile @Nullable Throwable timedSendFailure;
    private final Thread groupTimer;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Record> group;
    private long groupStartNanos;
    private long groupPosition;
    private int unacknowledged;
    private long sinceCheckpoint;
    private long acknowledgedPosition;
    private long lastPosition;
    /** Set by {@link #close()} before it stops the subscription: an append that fails from then on was interrupted. */
    private volatile boolean closing;
    /** Set once close stored the final checkpoint: a handler call that outlived the subscription's stop does nothing. */
    private boolean closed;
    private final AtomicLong forwarded = new AtomicLong();
    private final Subscription subscription;

    private OrderForwarder(EventStore store, EventLog log, DataSource db, String tablePrefix, String topic,
                           OrderForwarderConfig config) throws SQLException {
        this.db = db;
        this.checkpointTable = tablePrefix + "forwarder_checkpoint";
        this.topic = topic;
        this.config = config;
        this.maxGroupWaitNanos = config.maxGroupWait().toNanos();
        this.group = new ArrayList<>(config.maxGroup());
        this.producer = log.producer();
        this.lastPosition = loadCheckpoint();
        this.acknowledgedPosition = lastPosition;
        this.subscription = store.subscribe(EventFilter.category("order"), lastPosition, new EventHandler() {
            @Override
            public void handle(RecordedEvent event) throws Exception {
                lock.lock();
                try {
                    Throwable timed = timedSendFailure;
                    if (timed != null) {
                        throw new IllegalStateException("The group-wait timer could not forward the order events "
                                + "after position " + acknowledgedPosition + " to topic '" + topic + "', so forwarding "
                                + "stopped; the checkpoint stays before them and they are forwarded again after a "
                                + "restart", timed);
                    }
                    if (!closed) {
                        forward(event);
                    }
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void onCaughtUp(long position) {
                lock.lock();
                try {
                    if (!closed) {
                        sendGroup();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("Could not forward the order events up to position " + lastPosition
                            + " to topic '" + topic + "'; they are forwarded again after a restart", e);
                } finally {
                    lock.unlock();
                }
            }
        });
        this.groupTimer = Thread.ofVirtual().name("order-forwarder-group-timer").start(this::sendGroupsOnTime);
    }

    /**
     * Sends the collected group once its first event has waited {@code maxGroupWait}, whether or not another event
     * arrives. Idle (no group) it sleeps until a group starts; otherwise it wakes when the current group is due, so a
     * busy forwarder costs it at most one wake-up per group wait. Ends on close or after a failed send.
     */
    private void sendGroupsOnTime() {
        lock.lock();
        try {
            while (!closed) {
                if (group.isEmpty()) {
                    timerIdle = true;
                    groupStarted.await();
                    continue;
                }
                timerIdle = false;
                long left = groupStartNanos + maxGroupWaitNanos - System.nanoTime();
                if (left > 0) {
                    groupStarted.awaitNanos(left);
                } else {
                    sendGroup();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();   // close
        } catch (Throwable e) {
            // An append close interrupted is tracked as such in pending and is no failure; anything else, Errors
            // included, stops the forwarder (sendGroup recorded the group as a failed append, so the checkpoint stays
            // before it).
            if (!(closing && interrupted(e))) {
                timedSendFailure = e;
            }
        } finally {
            timerIdle = false;
            lock.unlock();
        }
    }

    /** Starts forwarding after the stored checkpoint (from the beginning on the first run), with default settings. */
    public static OrderForwarder start(EventStore store, EventLog log, DataSource db, String tablePrefix, String topic)
            throws SQLException {
        return start(store, log, db, tablePrefix, topic, OrderForwarderConfig.defaults());
    }

    /** Starts forwarding after the stored checkpoint (from the beginning on the first run). */
    public static OrderForwarder start(EventStore store, EventLog log, DataSource db, String tablePrefix, String topic,
                                       OrderForwarderConfig config) throws SQLException {
        return new OrderForwarder(store, log, db, tablePrefix, topic, config);
    }

    /** The checkpoint table, created if missing. */
    public static void createTables(Connection c, String tablePrefix) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "forwarder_checkpoint (id INT PRIMARY KEY, "
                    + "position BIGINT NOT NULL)");
        }
    }

    private void forward(RecordedEvent e) throws Exception {
        String orderId = e.stream().substring("order-".length());
        // Built in one go: each Headers.with copies the list, so a chain of six would copy it six times per event.
        Optional<String> correlation = e.correlationId();
        Header[] h = new Header[correlation.isPresent() ? 6 : 5];
        h[0] = Header.ofString(StandardHeaders.EVENT_ID, e.eventId().toString());
        h[1] = Header.ofString(StandardHeaders.EVENT_TYPE, e.type());
        h[2] = Header.ofString(EventSchemas.STREAM_VERSION_HEADER, Long.toString(e.version()));
        h[3] = Header.ofString(StandardHeaders.CONTENT_TYPE, WireFormat.CONTENT_TYPE);
        h[4] = Header.ofString(StandardHeaders.SCHEMA_ID, Integer.toString(WireFormat.schemaId(e.data())));
        if (correlation.isPresent()) {
            h[5] = Header.ofString(StandardHeaders.CORRELATION_ID, correlation.get());
        }
        Headers headers = Headers.of(h);
        if (group.isEmpty()) {
            groupStartNanos = System.nanoTime();
            if (timerIdle) {
                timerIdle = false;
                groupStarted.signal();
            }
        }
        // The key array is fresh and nobody else holds it, so the record takes it without a copy; the event's data
        // array is never modified after it was read (the constructor used before copied both).
        group.add(Record.wrapping(orderId.getBytes(StandardCharsets.UTF_8), e.data(), headers, e.recordedAt()));
        groupPosition = e.position();
        lastPosition = e.position();
        if (group.size() >= config.maxGroup() || System.nanoTime() - groupStartNanos >= maxGroupWaitNanos) {
            sendGroup();
        }
    }

    /**
     * Appends the collected events as one group, then moves the checkpoint over what the log acknowledged. Waits
     * first, while the group would take the events in flight past the bound: waiting for the oldest append only once
     * (as before) let the bound drift upwards whenever the oldest group was smaller than the new one.
     */
    private void sendGroup() throws Exception {
        if (group.isEmpty()) {
            return;
        }
        int n = group.size();
        while (unacknowledged + n > config.maxUnacknowledged() && !pending.isEmpty()) {
            // An interrupt here (close) leaves the group collected and not yet handed over: close sends it.
            pending.peekFirst().ack().get();
            drainAcknowledged();
        }
        List<Record> records = List.copyOf(group);
        long position = groupPosition;
        // Cleared before the append, not after: if appendAll throws (e.g. interrupted by close after storing part of
        // the group), the group was handed over and must not be sent again by close, which would repeat what was
        // stored. It is tracked as a failed append instead, so the checkpoint stops before it.
        group.clear();
        CompletableFuture<List<AppendResult>> ack;
        try {
            ack = producer.appendAll(topic, records);
        } catch (Throwable e) {
            // Every throwable, Errors included: the group is already cleared, so a failure not recorded here would
            // leave it neither collected nor pending, and the next acknowledged group would move the checkpoint past it.
            pending.add(new Pending(CompletableFuture.failedFuture(e), n, position, closing && interrupted(e)));
            throw e;
        }
        pending.add(new Pending(ack, n, position, false));
        unacknowledged += n;
        forwarded.addAndGet(n);
        drainAcknowledged();
        sinceCheckpoint += n;
        if (sinceCheckpoint >= config.checkpointEvery()) {
            sinceCheckpoint = 0;
            saveCheckpoint(acknowledgedPosition);
        }
    }

    /** Moves the acknowledged position over the appends acknowledged so far, in order; throws if one failed. */
    private void drainAcknowledged() throws Exception {
        while (!pending.isEmpty() && pending.peekFirst().ack().isDone()) {
            Pending head = pending.peekFirst();
            head.ack().get();   // throws if the append failed: the subscription stops, the checkpoint stays behind it
            acknowledgedPosition = head.position();
            unacknowledged -= head.events();
            pending.pollFirst();
        }
    }

    /**
     * Stops the group-wait timer and the subscription, sends the group they were collecting, waits for every append so far and stores the position
     * reached. An append interrupted by this close is not repeated: the checkpoint stays before it, so its events
     * are forwarded again after a restart. Throws if another append failed (after storing the checkpoint before it)
     * or the checkpoint cannot be stored.
     */
    @Override
    public void close() {
        if (closing) {
            // Closed already (the demo closes its services itself, then again on its way out after a failure): a
            // second pass would write the checkpoint again after the database may have gone.
            return;
        }
        closing = true;
        // The timer may be sending a group while holding the lock: blocked in appendAll (up to the producer's max
        // block) or in the wait for room under the bound. Nothing else would interrupt it, and the subscription's stop
        // and this close both wait for the lock uninterruptibly. Its interrupted append is tracked like one of the
        // subscription's (not sent again, the checkpoint stays before it); a group it had not handed over yet stays
        // collected and is sent below.
        groupTimer.interrupt();
        subscription.close();
        lock.lock();
        try {
            checkpoint();
        } catch (Exception e) {
            throw new IllegalStateException("Could not forward every order event up to position " + lastPosition
                    + " to topic '" + topic + "' on close; the checkpoint stays at position " + acknowledgedPosition
                    + ", so the events after it are forwarded again on restart", e);
        } finally {
            closed = true;
            groupStarted.signalAll();
            lock.unlock();
            joinGroupTimer();
            producer.close();
        }
    }

    private void joinGroupTimer() {
        try {
            groupTimer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkpoint() throws Exception {
        boolean appendFailed = false;
        for (Pending p : pending) {
            appendFailed |= p.ack().isCompletedExceptionally();
        }
        if (!appendFailed) {
            // Sending after a failed append could not move the checkpoint past it and would only repeat events.
            sendGroup();
        }
        Throwable failure = null;
        while (!pending.isEmpty()) {
            Pending p = pending.peekFirst();
            try {
                p.ack().get();
            } catch (ExecutionException e) {
                failure = p.interruptedByClose() ? null : e.getCause();
                break;
            }
            acknowledgedPosition = p.position();
            unacknowledged -= p.events();
            pending.pollFirst();
        }
        saveCheckpoint(acknowledgedPosition);
        if (failure != null) {
            throw new IllegalStateException("The append of the order events up to position " + pending.peekFirst()
                    .position() + " failed", failure);
        }
    }

    private void saveCheckpoint(long position) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement up = c.prepareStatement("UPDATE " + checkpointTable + " SET position = ? WHERE id = 1")) {
            up.setLong(1, position);
            if (up.executeUpdate() == 0) {
                try (PreparedStatement in = c.prepareStatement("INSERT INTO " + checkpointTable + " (id, position) VALUES (1, ?)")) {
                    in.setLong(1, position);
                    in.executeUpdate();
                }
            }
        }
    }

    private long loadCheckpoint() throws SQLException {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT position FROM " + checkpointTable + " WHERE id = 1")) {
            return rs.next() ? rs.getLong(1) : EventStore.BEGINNING;
        }
    }

    /** Events handed to the log so far. */
    public long forwarded() {
        return forwarded.get();
    }

    /** Why forwarding stopped, if it did. */
    public Optional<Throwable> failure() {
        Optional<Throwable> failure = subscription.failure();
        return failure.isPresent() ? failure : Optional.ofNullable(timedSendFailure);
    }

    /**
     * Whether an append failed because close interrupted it (the subscription's thread or the group-wait timer), as
     * opposed to a real failure that merely happened while closing (the log closed under us, a record too large): only
     * the first may be passed over quietly by close.
     */
    private static boolean interrupted(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    || t instanceof java.nio.channels.ClosedByInterruptException) {
                return true;
            }
        }
        return false;
    }
}
