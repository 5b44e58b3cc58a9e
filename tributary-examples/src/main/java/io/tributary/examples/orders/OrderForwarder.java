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
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Publishes every order event from the event store to the {@code orders} topic, keyed by order id, so other services
 * react to orders without reading the event store.
 *
 * <p>A catch-up subscription on the {@code order} category delivers events in global position order; the forwarder
 * collects them and appends them with one {@code appendAll} per group (one producer, one thread, so a key's events
 * reach its partition in order), without waiting for each acknowledgement. A group is sent when it holds
 * {@value #MAX_GROUP} events or when the subscription has caught up with the store (so the last events of a burst
 * never wait for more to come). Every {@value #CHECKPOINT_EVERY} events it stores, in
 * {@code <prefix>forwarder_checkpoint}, the position of the last event whose append <i>and every earlier one</i> the
 * log acknowledged, so the checkpoint is never ahead of what was published. At most {@value #MAX_UNACKNOWLEDGED}
 * events are outstanding; beyond that the handler waits, which slows the subscription (its buffer is bounded) rather
 * than growing memory. After a crash it resumes from the checkpoint: events after it are published again (at least
 * once), which consumers absorb because every record carries the event's id and stream version.
 * Thread-safety: the subscription calls the handler on one thread; the counters are safe to read from any thread.
 */
public final class OrderForwarder implements AutoCloseable {

    static final int CHECKPOINT_EVERY = 512;
    static final int MAX_UNACKNOWLEDGED = 8192;
    /** Most events per {@code appendAll}: one log batch and one acknowledgement for the group instead of one each. */
    static final int MAX_GROUP = 256;

    /** A group's append in flight, how many events it holds and the event-store position of its last event. */
    private record Pending(CompletableFuture<List<AppendResult>> ack, int events, long position) {
    }

    private final DataSource db;
    private final String checkpointTable;
    private final String topic;
    private final LogProducer producer;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final List<Record> group = new ArrayList<>(MAX_GROUP);
    private long groupPosition;
    private int unacknowledged;
    private long sinceCheckpoint;
    private long acknowledgedPosition;
    private final AtomicLong forwarded = new AtomicLong();
    private final Subscription subscription;
    private long lastPosition;

    private OrderForwarder(EventStore store, EventLog log, DataSource db, String tablePrefix, String topic) throws SQLException {
        this.db = db;
        this.checkpointTable = tablePrefix + "forwarder_checkpoint";
        this.topic = topic;
        this.producer = log.producer();
        this.lastPosition = loadCheckpoint();
        this.acknowledgedPosition = lastPosition;
        this.subscription = store.subscribe(EventFilter.category("order"), lastPosition, new EventHandler() {
            @Override
            public void handle(RecordedEvent event) throws Exception {
                forward(event);
            }

            @Override
            public void onCaughtUp(long position) {
                try {
                    sendGroup();
                } catch (Exception e) {
                    throw new IllegalStateException("Could not forward the order events up to position " + lastPosition
                            + " to topic '" + topic + "'; they are forwarded again after a restart", e);
                }
            }
        });
    }

    /** Starts forwarding after the stored checkpoint (from the beginning on the first run). */
    public static OrderForwarder start(EventStore store, EventLog log, DataSource db, String tablePrefix, String topic)
            throws SQLException {
        return new OrderForwarder(store, log, db, tablePrefix, topic);
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
        group.add(new Record(orderId.getBytes(StandardCharsets.UTF_8), e.data(), headers, e.recordedAt()));
        groupPosition = e.position();
        lastPosition = e.position();
        if (group.size() >= MAX_GROUP) {
            sendGroup();
        }
    }

    /** Appends the collected events as one group, then moves the checkpoint over what the log acknowledged. */
    private void sendGroup() throws Exception {
        if (group.isEmpty()) {
            return;
        }
        int n = group.size();
        pending.add(new Pending(producer.appendAll(topic, List.copyOf(group)), n, groupPosition));
        group.clear();
        unacknowledged += n;
        forwarded.addAndGet(n);
        drainAcknowledged(unacknowledged > MAX_UNACKNOWLEDGED);
        sinceCheckpoint += n;
        if (sinceCheckpoint >= CHECKPOINT_EVERY) {
            sinceCheckpoint = 0;
            saveCheckpoint(acknowledgedPosition);
        }
    }

    /** Moves the acknowledged position over the appends done so far, in order; waits for the oldest if asked to. */
    private void drainAcknowledged(boolean waitForOldest) throws Exception {
        while (!pending.isEmpty()) {
            Pending head = pending.peekFirst();
            if (!head.ack().isDone()) {
                if (!waitForOldest) {
                    return;
                }
                head.ack().get();
                waitForOldest = false;
            }
            head.ack().get();   // throws if the append failed: the subscription stops, the checkpoint stays behind it
            acknowledgedPosition = head.position();
            unacknowledged -= head.events();
            pending.pollFirst();
        }
    }

    @Override
    public void close() {
        subscription.close();
        try {
            checkpoint();
        } catch (Exception e) {
            throw new IllegalStateException("Could not store the forwarder's checkpoint at position " + lastPosition
                    + " on close; the events after the previous checkpoint will be forwarded again on restart", e);
        } finally {
            producer.close();
        }
    }

    /** Sends what is collected, waits for every append so far, then stores the position reached. */
    private void checkpoint() throws Exception {
        sendGroup();
        for (Pending p : pending) {
            p.ack().get();
        }
        drainAcknowledged(false);
        saveCheckpoint(acknowledgedPosition);
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
        return subscription.failure();
    }
}
