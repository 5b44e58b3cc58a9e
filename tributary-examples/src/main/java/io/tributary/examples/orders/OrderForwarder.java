package io.tributary.examples.orders;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.EventFilter;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Publishes every order event from the event store to the {@code orders} topic, keyed by order id, so other services
 * react to orders without reading the event store.
 *
 * <p>A catch-up subscription on the {@code order} category delivers events in global position order; the forwarder
 * appends each one asynchronously (one producer, so a key's events reach its partition in order) and does not wait
 * for each acknowledgement. Every {@value #CHECKPOINT_EVERY} events it stores, in {@code <prefix>forwarder_checkpoint},
 * the position of the last event whose append <i>and every earlier one</i> the log acknowledged, so the checkpoint is
 * never ahead of what was published. At most {@value #MAX_UNACKNOWLEDGED} appends are outstanding; beyond that the
 * handler waits, which slows the subscription (its buffer is bounded) rather than growing memory. After a crash it
 * resumes from the checkpoint: events after it are published again (at least once), which consumers absorb because
 * every record carries the event's id and stream version.
 * Thread-safety: the subscription calls the handler on one thread; the counters are safe to read from any thread.
 */
public final class OrderForwarder implements AutoCloseable {

    static final int CHECKPOINT_EVERY = 512;
    static final int MAX_UNACKNOWLEDGED = 8192;

    /** An append in flight and the event-store position it carries. */
    private record Pending(CompletableFuture<AppendResult> ack, long position) {
    }

    private final DataSource db;
    private final String checkpointTable;
    private final String topic;
    private final LogProducer producer;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
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
        this.subscription = store.subscribe(EventFilter.category("order"), lastPosition, this::forward);
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
        Headers headers = Headers.empty()
                .with(StandardHeaders.EVENT_ID, e.eventId().toString())
                .with(StandardHeaders.EVENT_TYPE, e.type())
                .with(EventSchemas.STREAM_VERSION_HEADER, Long.toString(e.version()))
                .with(StandardHeaders.CONTENT_TYPE, WireFormat.CONTENT_TYPE)
                .with(StandardHeaders.SCHEMA_ID, Integer.toString(WireFormat.schemaId(e.data())));
        Optional<String> correlation = e.correlationId();
        if (correlation.isPresent()) {
            headers = headers.with(StandardHeaders.CORRELATION_ID, correlation.get());
        }
        pending.add(new Pending(producer.append(topic, new Record(orderId.getBytes(StandardCharsets.UTF_8), e.data(),
                headers, e.recordedAt())), e.position()));
        forwarded.incrementAndGet();
        lastPosition = e.position();
        drainAcknowledged(pending.size() > MAX_UNACKNOWLEDGED);
        if (++sinceCheckpoint >= CHECKPOINT_EVERY) {
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

    /** Waits for every append so far, then stores the position reached. */
    private void checkpoint() throws Exception {
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
