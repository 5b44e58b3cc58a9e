package io.tributary.outbox;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tributary.core.ErrorCode;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.outbox.internal.HeadersCodec;
import io.tributary.outbox.internal.OutboxSql;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes outbox rows to the {@link EventLog}: claims pending rows with {@code FOR UPDATE SKIP LOCKED}, appends
 * them to their topics, waits for the log's acknowledgement, then marks them published (or deletes them) and commits.
 *
 * <p><b>Several relays</b> may run against one database: a row is claimed by one relay at a time.
 * <p><b>Order:</b> a row is published only when every older row of its key (lower key sequence) is published or
 * skipped, so a key with an older unpublished row is never overtaken, whichever relay holds it. Rows of one key are
 * appended in sequence order through one producer, and the log keeps per-partition order.
 * <p><b>Delivery:</b> at least once. If the relay dies after the log acknowledged and before the commit, the rows stay
 * pending and are published again; consumers use the {@link Inbox} for exactly-once effects.
 * <p><b>Failures:</b> a transient one (log unavailable, database down) leaves every row pending and the relay backs
 * off exponentially with jitter, then resumes in order. A non-transient one (say, the topic does not exist) counts
 * an attempt on that row; after {@link RelayConfig#maxAttempts()} it is marked failed, which blocks its key (visible in
 * metrics and {@link OutboxAdmin}) until an operator retries or skips it.
 * <p><b>Wake-ups:</b> after a round that published rows the relay goes round again at once; after an empty one it
 * waits 1 ms, then 2, 4, … up to {@link RelayConfig#pollInterval()} while the outbox stays empty, so a steady flow is
 * picked up within milliseconds and an idle outbox costs one query per poll interval. On PostgreSQL a NOTIFY (sent by
 * a trigger at commit) ends any wait early: a listener thread of its own reads them (pgjdbc's
 * {@code getNotifications} keeps reading while notifications follow each other within a millisecond, so under a
 * steady stream of commits it can take far longer than its timeout: on the round thread it held rounds up). The table
 * stays the source of truth; a NOTIFY is only a hint.
 * <p><b>Rounds:</b> claim, order check, append every eligible row, mark them published <em>while</em> the log syncs
 * (uncommitted; rows the log then does not acknowledge are un-marked through a savepoint), wait for the
 * acknowledgements, commit. While rounds come back full the next one claims twice as many rows, up to
 * {@link RelayConfig#maxBatchSize()}; the first round that is not full drops back to {@link RelayConfig#batchSize()}.
 * <p><b>Connections:</b> each round takes a connection from the data source and gives it back, except on H2, where
 * the round thread keeps one (with the claim prepared on it) from round to round until a round fails or the relay
 * closes: H2 parses a {@code FOR UPDATE} query again on every prepare. Such a relay holds one pooled connection for its
 * life (on PostgreSQL, the listener holds another), outside any transaction between rounds: a pool's
 * {@code maxLifetime} cannot replace it, and a {@code leakDetectionThreshold} shorter than the relay's life reports it.
 * <p><b>Threads:</b> one virtual thread runs rounds, one listens for NOTIFY (PostgreSQL, {@code useNotify}), another
 * (short-lived) refreshes the gauges and purges;
 * {@link #relayOnce()} may instead be called by the caller (not both at once). Thread-safe to {@link #close()} from
 * any thread: it lets the current round finish and commit, whichever thread runs it; rounds after it fail with
 * {@link ErrorCode#CLOSED}.
 */
public final class OutboxRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /** Consecutive empty rounds counted at most: 1 ms doubled this often (12 days) exceeds any poll interval. */
    private static final int QUIET_CAP = 30;
    /** Longest single wait of the listener thread for a NOTIFY (it then waits again). */
    private static final long LISTEN_WAIT_MS = 250;

    private final DataSource dataSource;
    private final OutboxTables tables;
    private final RelayConfig config;
    private final RelayObserver observer;
    private final LogProducer producer;
    private final Timer publishLatency;
    private final Counter publishedCount;
    private final Counter failureCount;
    private final AtomicLong pendingGauge = new AtomicLong();
    private final AtomicLong failedGauge = new AtomicLong();
    private final AtomicLong oldestPendingMillis = new AtomicLong(-1);
    private final AtomicLong blockedKeysGauge = new AtomicLong();
    private volatile boolean running;
    /** Set by the listener on a NOTIFY, cleared by the round thread before each claim. */
    private final AtomicBoolean notified = new AtomicBoolean();
    private volatile @Nullable Thread loop;
    private volatile @Nullable Thread listenerThread;
    private @Nullable OutboxSql sql;
    /**
     * H2 only: the round thread's connection, kept from one round to the next, and the claim prepared on it. H2 parses
     * a {@code FOR UPDATE} query again on every prepare (its query cache leaves them out), which cost a parse and a
     * plan per round; a statement kept prepared runs without either. Both are dropped after any failed round.
     * Guarded by {@link #roundLock}.
     */
    private @Nullable Connection heldConnection;
    private @Nullable PreparedStatement heldClaim;
    /**
     * Held by a round from its start to its commit, and by whoever gives the kept connection back: {@link #close()}
     * waits on it, so it never closes the connection under a round running on a caller's thread (whose rows the log
     * had acknowledged: a failed commit would publish them again).
     */
    private final ReentrantLock roundLock = new ReentrantLock();
    /** Set by {@link #close()}: no round starts after it, and a round still running gives its connection back. */
    private volatile boolean closed;
    private @Nullable Connection listenConnection;
    private volatile @Nullable Thread housekeeper;
    private long nextPurge;
    private long nextStats;
    private int consecutiveFailures;

    private OutboxRelay(DataSource dataSource, EventLog log, OutboxTables tables, RelayConfig config,
                        MeterRegistry registry, RelayObserver observer) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.tables = Objects.requireNonNull(tables, "tables");
        this.config = Objects.requireNonNull(config, "config");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.producer = log.producer();
        Tags tags = Tags.of("table", tables.outbox(), "relay", config.relayName());
        this.publishLatency = Timer.builder("tributary.outbox.publish.latency")
                .description("Time from adding an event to the outbox to its acknowledgement by the log")
                .tags(tags).publishPercentiles(0.5, 0.99).register(registry);
        this.publishedCount = Counter.builder("tributary.outbox.published").tags(tags).register(registry);
        this.failureCount = Counter.builder("tributary.outbox.failures")
                .description("Publish attempts that failed, transient or not").tags(tags).register(registry);
        Gauge.builder("tributary.outbox.pending", pendingGauge, AtomicLong::get)
                .description("Rows waiting to be published").tags(tags).register(registry);
        Gauge.builder("tributary.outbox.failed", failedGauge, AtomicLong::get)
                .description("Rows marked failed, each blocking its key").tags(tags).register(registry);
        Gauge.builder("tributary.outbox.blocked.keys", blockedKeysGauge, AtomicLong::get)
                .description("Keys blocked by a failed row").tags(tags).register(registry);
        Gauge.builder("tributary.outbox.oldest.pending.age", oldestPendingMillis,
                        v -> v.get() < 0 ? 0 : (System.currentTimeMillis() - v.get()) / 1000.0)
                .description("Age in seconds of the oldest pending row").baseUnit("seconds").tags(tags).register(registry);
    }

    /** A relay that the caller drives with {@link #relayOnce()} (no thread of its own). */
    public static OutboxRelay create(DataSource dataSource, EventLog log, OutboxTables tables, RelayConfig config,
                                     MeterRegistry registry, RelayObserver observer) {
        return new OutboxRelay(dataSource, log, tables, config, registry, observer);
    }

    /** Starts a relay on its own virtual thread. */
    public static OutboxRelay start(DataSource dataSource, EventLog log, OutboxTables tables, RelayConfig config,
                                    MeterRegistry registry) {
        return start(dataSource, log, tables, config, registry, RelayObserver.NONE);
    }

    /** Starts a relay on its own virtual thread, reporting to {@code observer}. */
    public static OutboxRelay start(DataSource dataSource, EventLog log, OutboxTables tables, RelayConfig config,
                                    MeterRegistry registry, RelayObserver observer) {
        OutboxRelay relay = new OutboxRelay(dataSource, log, tables, config, registry, observer);
        relay.running = true;
        relay.loop = Thread.ofVirtual().name("tributary-" + config.relayName()).start(relay::runLoop);
        if (config.useNotify()) {
            relay.listenerThread = Thread.ofVirtual().name("tributary-" + config.relayName() + "-listener")
                    .start(relay::listenLoop);
        }
        return relay;
    }

    private void runLoop() {
        try {
            runRounds();
        } finally {
            releaseRoundConnection();
        }
    }

    private void runRounds() {
        int limit = config.batchSize();
        int quiet = QUIET_CAP; // consecutive empty rounds; idle at start
        while (running) {
            RelayRound round;
            // A NOTIFY that arrived before this point is for a commit this round's claim sees.
            notified.set(false);
            try {
                round = relayOnce(limit);
                housekeeping();
                consecutiveFailures = 0;
            } catch (TributaryException e) {
                if (!running) {
                    break;
                }
                failureCount.increment();
                consecutiveFailures++;
                long wait = backoffMillis(consecutiveFailures);
                LOG.warn("Outbox relay '{}' round failed ({}); retrying in {} ms", config.relayName(), e.getMessage(), wait);
                sleep(wait);
                continue;
            }
            if (round.claimed() > 0) {
                quiet = 0;
            }
            if (round.claimed() >= limit && round.published() > 0) {
                // More is waiting: claim more next time, so the fixed cost of a round (round trips, the log's sync,
                // the commit) is spread over more rows while a backlog lasts.
                limit = Math.min(config.largestBatch(), limit * 2);
                continue;
            }
            limit = config.batchSize();
            if (round.published() > 0) {
                // Rows are arriving: look again at once rather than wait (with or without NOTIFY), so under a steady
                // flow the latency is a round, not a round plus the poll interval. An empty round ends this.
                continue;
            }
            if (round.deferred() > 0) {
                // Blocked by another relay's rows or by rows in backoff: don't spin, even when the round was full.
                sleep(config.pollInterval().toMillis());
                continue;
            }
            // Empty: rows were flowing a moment ago, so look again soon, then less and less often. Under a steady
            // flow an empty round is a gap between commits, and the next rows come within milliseconds.
            awaitWork(Math.min(config.pollInterval().toMillis(), 1L << Math.min(quiet, QUIET_CAP)));
            quiet = Math.min(QUIET_CAP, quiet + 1);
        }
    }

    /**
     * One round: claim up to {@link RelayConfig#batchSize()} rows, publish those whose key has no older unfinished
     * row, mark them, commit. Transient failures throw {@link RetriableException} with every row left pending. After
     * {@link #close()} it throws {@link InvalidRequestException} ({@link ErrorCode#CLOSED}) and takes no connection.
     */
    public RelayRound relayOnce() {
        return relayOnce(config.batchSize());
    }

    private RelayRound relayOnce(int limit) {
        roundLock.lock();
        try {
            if (closed) {
                throw new InvalidRequestException(ErrorCode.CLOSED, "Outbox relay '" + config.relayName() + "' is "
                        + "closed; create a new one with OutboxRelay.create(...) or OutboxRelay.start(...) to publish "
                        + "again.");
            }
            return roundOnConnection(limit);
        } finally {
            roundLock.unlock();
        }
    }

    private RelayRound roundOnConnection(int limit) {
        @Nullable Connection c = null;
        boolean keep = false;
        try {
            c = roundConnection();
            OutboxSql s = sql(c);
            try {
                RelayRound round = relayOnce(c, s, limit);
                // H2: kept for the next round with its claim prepared (see heldConnection). Other databases cache
                // statements per connection themselves, and a pooled connection is better back in the pool between
                // rounds (and replaced by the pool when the server drops it).
                keep = s.dialect == OutboxDialect.H2;
                return round;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Outbox relay '" + config.relayName()
                    + "' could not read table '" + tables.outbox() + "': " + e.getMessage() + " (SQLState "
                    + e.getSQLState() + "); rows stay pending and the relay retries with backoff.", e);
        } finally {
            // Closed meanwhile: close() gave up waiting for this round, which gives the connection back itself.
            if (!keep || closed) {
                releaseRoundConnection();
            }
        }
    }

    /** The connection kept from the last round, else a new one from the pool, set up for rounds. */
    private Connection roundConnection() throws SQLException {
        Connection c = heldConnection;
        if (c != null) {
            return c;
        }
        c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            // Each statement must see the latest commits (another relay's published rows), also on MariaDB whose
            // default is REPEATABLE READ.
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        heldConnection = c;
        return c;
    }

    /** Closes the round's claim statement and gives its connection back to the pool (after a failure, or not H2). */
    private void releaseRoundConnection() {
        PreparedStatement ps;
        Connection c;
        roundLock.lock();
        try {
            ps = heldClaim;
            c = heldConnection;
            heldClaim = null;
            heldConnection = null;
        } finally {
            roundLock.unlock();
        }
        try {
            if (ps != null) {
                ps.close();
            }
        } catch (SQLException ignored) {
            // the connection goes next, and with it the statement
        }
        try {
            if (c != null) {
                c.close();
            }
        } catch (SQLException ignored) {
            // a broken connection: the pool discards it
        }
    }

    private RelayRound relayOnce(Connection c, OutboxSql s, int limit) throws SQLException {
        long now = System.currentTimeMillis();
        long t0 = System.nanoTime();
        List<Row> claimed = claim(c, s, now, limit);
        if (claimed.isEmpty()) {
            // End the transaction the claim began: the kept H2 connection would otherwise idle in it until the next
            // round, and a pool would get the others back in one.
            c.rollback();
            return RelayRound.EMPTY;
        }
        long t1 = System.nanoTime();
        Map<ByteBuffer, Long> minUnfinished = minUnfinishedSeq(c, s, claimed);
        long t2 = System.nanoTime();
        // A keyed row is eligible when it is the next unfinished row of its key, or follows such a row in this batch.
        Map<ByteBuffer, Long> nextExpected = new HashMap<>(minUnfinished);
        List<Row> eligible = new ArrayList<>();
        int deferred = 0;
        for (Row r : claimed) {
            if (r.key == null) {
                eligible.add(r);
                continue;
            }
            ByteBuffer k = ByteBuffer.wrap(r.key);
            Long expected = nextExpected.get(k);
            if (expected != null && expected == r.keySeq) {
                eligible.add(r);
                nextExpected.put(k, r.keySeq + 1);
            } else {
                deferred++;
            }
        }
        List<Row> published = new ArrayList<>();
        List<Row> failedRows = new ArrayList<>();
        List<String> failureMessages = new ArrayList<>();
        Savepoint[] beforeMark = {null};
        List<Row> sent = publish(eligible, published, failedRows, failureMessages, rows -> {
            // Mark every sent row while the log is still syncing, so the database's work overlaps the log's. Safe
            // because it is uncommitted: the commit comes only after every acknowledgement, and rows the log did not
            // acknowledge are un-marked by rolling back to the savepoint below.
            beforeMark[0] = c.setSavepoint();
            markPublished(c, s, rows);
        });
        long t3 = System.nanoTime();
        deferred += eligible.size() - published.size() - failedRows.size();
        if (published.size() != sent.size()) {
            if (beforeMark[0] != null) {
                c.rollback(beforeMark[0]);
            }
            if (!published.isEmpty()) {
                markPublished(c, s, published);
            }
        }
        if (!published.isEmpty()) {
            observer.published(published.stream().map(r -> r.eventId).toList());
        }
        if (!failedRows.isEmpty()) {
            recordFailures(c, s, failedRows, failureMessages, now);
        }
        long t4 = System.nanoTime();
        c.commit();
        long t5 = System.nanoTime();
        if (LOG.isDebugEnabled()) {
            LOG.debug("Outbox relay '{}' round: {} claimed, {} published; ms: claim {}, order check {}, publish and "
                            + "mark {}, failures and re-mark {}, commit {}", config.relayName(), claimed.size(),
                    published.size(), millis(t1 - t0), millis(t2 - t1), millis(t3 - t2), millis(t4 - t3),
                    millis(t5 - t4));
        }
        if (!published.isEmpty()) {
            observer.committed(published.stream().map(r -> r.eventId).toList());
            publishedCount.increment(published.size());
        }
        return new RelayRound(claimed.size(), published.size(), deferred, failedRows.size());
    }

    /** Work done while the log's acknowledgements are outstanding, given the rows sent. */
    @FunctionalInterface
    private interface WhileAcksPending {
        void run(List<Row> sent) throws SQLException;
    }

    /**
     * Appends the eligible rows, runs {@code whileWaiting} on those sent, then waits for the log. Fills
     * {@code published} (acknowledged, in send order) and {@code failed}; returns the rows sent.
     */
    private List<Row> publish(List<Row> eligible, List<Row> published, List<Row> failed, List<String> messages,
                              WhileAcksPending whileWaiting) throws SQLException {
        // Appends go out in id order (per key: sequence order); a key that fails stops there for this round.
        Set<ByteBuffer> brokenKeys = new HashSet<>();
        List<Row> sent = new ArrayList<>(eligible.size());
        List<CompletableFuture<AppendResult>> acks = new ArrayList<>(eligible.size());
        RetriableException transientFailure = null;
        for (Row r : eligible) {
            ByteBuffer k = r.key == null ? null : ByteBuffer.wrap(r.key);
            if (k != null && brokenKeys.contains(k)) {
                continue;
            }
            try {
                acks.add(producer.append(r.topic, new Record(r.key, r.payload, r.headers, r.createdAt)));
                sent.add(r);
            } catch (RetriableException e) {
                transientFailure = e;
                break;
            } catch (TributaryException e) {
                failed.add(r);
                messages.add(e.getMessage());
                if (k != null) {
                    brokenKeys.add(k);
                }
            }
        }
        if (!sent.isEmpty()) {
            whileWaiting.run(sent);
        }
        long deadline = System.nanoTime() + config.publishTimeout().toNanos();
        for (int i = 0; i < sent.size(); i++) {
            Row r = sent.get(i);
            ByteBuffer k = r.key == null ? null : ByteBuffer.wrap(r.key);
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                acks.get(i).get(left, TimeUnit.NANOSECONDS);
                if (k != null && brokenKeys.contains(k)) {
                    // An earlier row of this key failed; acknowledging this one would overtake it. It stays pending
                    // and is published again after the earlier one (a duplicate the inbox absorbs).
                    continue;
                }
                published.add(r);
                publishLatency.record(Math.max(0, System.currentTimeMillis() - r.createdAt), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Outbox relay '" + config.relayName()
                        + "' was interrupted while waiting for the log; rows stay pending.", e);
            } catch (TimeoutException e) {
                transientFailure = new RetriableException(io.tributary.core.ErrorCode.TIMEOUT, "The log did not "
                        + "acknowledge outbox events within " + config.publishTimeout() + "; rows stay pending.", e);
                if (k != null) {
                    brokenKeys.add(k);
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (k != null) {
                    brokenKeys.add(k);
                }
                if (cause instanceof TributaryException te && !te.isRetriable()) {
                    failed.add(r);
                    messages.add(te.getMessage());
                } else {
                    transientFailure = cause instanceof RetriableException re ? re
                            : new RetriableException(io.tributary.core.ErrorCode.UNAVAILABLE,
                            "The log failed to acknowledge outbox event " + r.eventId + ": " + cause, cause);
                }
            }
        }
        if (transientFailure != null) {
            failureCount.increment();
            if (published.isEmpty() && failed.isEmpty()) {
                throw transientFailure;
            }
            LOG.warn("Outbox relay '{}': {} of {} rows not acknowledged ({}); they stay pending",
                    config.relayName(), eligible.size() - published.size() - failed.size(), eligible.size(),
                    transientFailure.getMessage());
        }
        return sent;
    }

    private List<Row> claim(Connection c, OutboxSql s, long now, int limit) throws SQLException {
        List<Row> rows = new ArrayList<>(limit);
        // H2: prepared once on the kept connection (the limit is a parameter, so one statement serves every size).
        boolean kept = s.dialect == OutboxDialect.H2 && c == heldConnection;
        PreparedStatement ps = kept && heldClaim != null ? heldClaim : c.prepareStatement(s.claim);
        try {
            ps.setLong(1, now);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    rows.add(new Row(id, UUID.fromString(rs.getString(2)), rs.getString(3), rs.getBytes(4),
                            rs.getLong(5), rs.getBytes(7), HeadersCodec.decode(rs.getBytes(8), id), rs.getLong(9),
                            rs.getInt(10)));
                }
            }
        } finally {
            if (kept) {
                heldClaim = ps;
            } else {
                ps.close();
            }
        }
        return rows;
    }

    /**
     * The lowest unfinished (pending or failed) key sequence of each key among {@code rows}. A key whose claimed rows
     * include its sequence 1 needs no query: that row is its first ever (a key's sequence restarts only after the
     * purge removed the key row, which it does only once the key has no outbox rows left), it is unfinished, and no
     * sequence is lower. Keys with one event each, such as entity ids with a single outcome, so cost no order check.
     */
    private static Map<ByteBuffer, Long> minUnfinishedSeq(Connection c, OutboxSql s, List<Row> rows) throws SQLException {
        Map<ByteBuffer, Long> out = new HashMap<>();
        for (Row r : rows) {
            if (r.key != null && r.keySeq == 1) {
                out.put(ByteBuffer.wrap(r.key), 1L);
            }
        }
        List<byte[]> keys = new ArrayList<>();
        Set<ByteBuffer> seen = new HashSet<>();
        for (Row r : rows) {
            ByteBuffer k = r.key == null ? null : ByteBuffer.wrap(r.key);
            if (k != null && !out.containsKey(k) && seen.add(k)) {
                keys.add(r.key);
            }
        }
        if (keys.isEmpty()) {
            return out;
        }
        if (s.bindsArrays()) {
            try (PreparedStatement ps = c.prepareStatement(s.minUnfinishedSeqArray())) {
                ps.setArray(1, c.createArrayOf("bytea", keys.toArray(new byte[0][])));
                readMinUnfinished(ps, out);
            }
            return out;
        }
        for (int from = 0; from < keys.size(); from += s.listChunk()) {
            List<byte[]> chunk = keys.subList(from, Math.min(keys.size(), from + s.listChunk()));
            int length = s.listLength(chunk.size());
            try (PreparedStatement ps = c.prepareStatement(s.minUnfinishedSeq(length))) {
                for (int i = 0; i < length; i++) {
                    // Padded with the last key again: the same set of keys, one row each in the result.
                    ps.setBytes(i + 1, chunk.get(Math.min(i, chunk.size() - 1)));
                }
                readMinUnfinished(ps, out);
            }
        }
        return out;
    }

    private static void readMinUnfinished(PreparedStatement ps, Map<ByteBuffer, Long> out) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(ByteBuffer.wrap(rs.getBytes(1)), rs.getLong(2));
            }
        }
    }

    private void markPublished(Connection c, OutboxSql s, List<Row> rows) throws SQLException {
        // One statement per chunk rather than one per row: a 500-row batch update cost 25-50 ms, this a few.
        long now = System.currentTimeMillis();
        if (s.bindsArrays()) {
            // One statement with the ids as one array: its text does not depend on the batch size, so it is parsed
            // and planned once per connection, and no chunking is needed.
            Long[] ids = new Long[rows.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rows.get(i).id;
            }
            String sql = config.deleteOnPublish() ? s.deletePublishedArray() : s.markPublishedArray();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (!config.deleteOnPublish()) {
                    ps.setLong(i++, now);
                }
                ps.setArray(i, c.createArrayOf("bigint", ids));
                ps.executeUpdate();
            }
            return;
        }
        for (int from = 0; from < rows.size(); from += s.listChunk()) {
            List<Row> chunk = rows.subList(from, Math.min(rows.size(), from + s.listChunk()));
            int length = s.listLength(chunk.size());
            String sql = config.deleteOnPublish() ? s.deletePublished(length) : s.markPublished(length);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                if (!config.deleteOnPublish()) {
                    ps.setLong(i++, now);
                }
                for (int k = 0; k < length; k++) {
                    // Padded with the last id again: an IN list is a set, so each row is still marked once.
                    ps.setLong(i++, chunk.get(Math.min(k, chunk.size() - 1)).id);
                }
                ps.executeUpdate();
            }
        }
    }

    private void recordFailures(Connection c, OutboxSql s, List<Row> rows, List<String> messages, long now)
            throws SQLException {
        long[] retryAt = new long[rows.size()];
        try (PreparedStatement ps = c.prepareStatement(s.recordFailure)) {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                String msg = messages.get(i);
                retryAt[i] = now + backoffMillis(r.attempts + 1);
                ps.setInt(1, config.maxAttempts());
                ps.setString(2, msg.length() > 2000 ? msg.substring(0, 2000) : msg);
                ps.setLong(3, retryAt[i]);
                ps.setLong(4, r.id);
                ps.addBatch();
                failureCount.increment();
                if (r.attempts + 1 >= config.maxAttempts()) {
                    LOG.error("Outbox row {} (event {}, topic '{}') failed {} times and is now marked failed; its key is "
                                    + "blocked until an operator retries or skips it. Last error: {}",
                            r.id, r.eventId, r.topic, r.attempts + 1, msg);
                }
            }
            ps.executeBatch();
        }
        // A keyed row that stays pending waits out its backoff; the rows behind it could not be published before it
        // anyway, so they wait as long. Otherwise a key with a round's worth of rows behind a row in backoff would
        // fill every claim with rows that are only deferred, and starve the other keys until the backoff ends.
        try (PreparedStatement ps = c.prepareStatement(s.deferKeyBehind)) {
            boolean any = false;
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                if (r.key() == null || r.attempts + 1 >= config.maxAttempts()) {
                    continue; // keyless rows block nothing; a failed row blocks its key through the claim itself
                }
                long until = retryAt[i];
                ps.setLong(1, until);
                ps.setBytes(2, r.key());
                ps.setLong(3, r.keySeq());
                ps.setLong(4, until);
                ps.addBatch();
                any = true;
            }
            if (any) {
                ps.executeBatch();
            }
        }
    }

    private void housekeeping() {
        Thread busy = housekeeper;
        if (busy != null && busy.isAlive()) {
            return;
        }
        long now = System.currentTimeMillis();
        boolean stats = now >= nextStats;
        boolean purge = now >= nextPurge;
        if (!stats && !purge) {
            return;
        }
        if (stats) {
            nextStats = now + config.statsInterval().toMillis();
        }
        if (purge) {
            nextPurge = now + config.purgeInterval().toMillis();
        }
        // On a thread of its own: counting the table and purging it take long enough on a big outbox to stall the
        // rounds (and so every event's latency) if they ran between them.
        housekeeper = Thread.ofVirtual().name("tributary-" + config.relayName() + "-housekeeping").start(() -> {
            try {
                if (stats) {
                    refreshStats();
                }
                if (purge) {
                    purge(now - config.retention().toMillis());
                }
            } catch (TributaryException e) {
                LOG.warn("Outbox relay '{}' could not refresh its gauges ({}); it tries again in {}",
                        config.relayName(), e.getMessage(), config.statsInterval());
            }
        });
    }

    /** Refreshes the pending/failed/oldest/blocked gauges from the table. */
    public void refreshStats() {
        OutboxStats stats = OutboxAdmin.stats(dataSource, tables);
        pendingGauge.set(stats.pending());
        failedGauge.set(stats.failed());
        blockedKeysGauge.set(stats.blockedKeys());
        oldestPendingMillis.set(stats.oldestPendingCreatedAt().orElse(-1L));
    }

    /** Deletes published and skipped rows, and idle key rows, older than {@code cutoffMillis}; returns rows deleted. */
    public long purge(long cutoffMillis) {
        long deleted = 0;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            OutboxSql s = sql(c);
            int n;
            do {
                try (PreparedStatement ps = c.prepareStatement(s.purgePublished)) {
                    ps.setLong(1, cutoffMillis);
                    ps.setInt(2, 5_000);
                    n = ps.executeUpdate();
                    deleted += n;
                }
            } while (n == 5_000 && running);
            try (PreparedStatement ps = c.prepareStatement(s.purgeKeys)) {
                ps.setLong(1, cutoffMillis);
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            LOG.warn("Outbox relay '{}' could not purge old rows ({}); it tries again in {}", config.relayName(),
                    e.getMessage(), config.purgeInterval());
        }
        return deleted;
    }

    /** Parks the round thread for up to {@code ms}, or until a NOTIFY arrives or the relay closes. */
    private void awaitWork(long ms) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(ms);
        long left;
        while (running && !notified.get() && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
            if (Thread.currentThread().isInterrupted()) {
                running = false;
            }
        }
        if (LOG.isTraceEnabled()) {
            LOG.trace("Outbox relay '{}' idle {} ms (of {}), {}", config.relayName(), millis(System.nanoTime() - start),
                    ms, notified.get() ? "woken by NOTIFY" : "timed out");
        }
    }

    /**
     * The listener thread: LISTENs on its own connection and wakes the round thread on each batch of notifications.
     * Ends at once where there is no NOTIFY (not PostgreSQL); reconnects with backoff after a failure.
     */
    private void listenLoop() {
        // Short enough that close() is not kept waiting; wake-ups do not depend on it.
        long waitMs = Math.max(1, Math.min(LISTEN_WAIT_MS, config.pollInterval().toMillis()));
        int failures = 0;
        try {
            while (running) {
                try {
                    Connection listen = listener();
                    if (listen == null) {
                        return; // no NOTIFY here: the round thread polls
                    }
                    long t0 = System.nanoTime();
                    org.postgresql.PGNotification[] got = listen.unwrap(org.postgresql.PGConnection.class)
                            .getNotifications((int) waitMs);
                    failures = 0;
                    if (got != null && got.length > 0) {
                        notified.set(true);
                        Thread t = loop;
                        if (t != null) {
                            LockSupport.unpark(t);
                        }
                    }
                    long took = System.nanoTime() - t0;
                    if (took > TimeUnit.MILLISECONDS.toNanos(waitMs) + TimeUnit.MILLISECONDS.toNanos(10)
                            && LOG.isDebugEnabled()) {
                        LOG.debug("Outbox relay '{}': reading NOTIFYs took {} ms ({} of them, a steady stream)",
                                config.relayName(), millis(took), got == null ? 0 : got.length);
                    }
                } catch (SQLException e) {
                    closeListener();
                    if (!running) {
                        return;
                    }
                    failures++;
                    long wait = backoffMillis(failures);
                    LOG.debug("Outbox relay '{}' lost its LISTEN connection ({}); the round thread polls, listening "
                            + "again in {} ms", config.relayName(), e.getMessage(), wait);
                    sleep(wait);
                }
            }
        } catch (NoClassDefFoundError e) {
            LOG.debug("Outbox relay '{}': no PostgreSQL driver, so no NOTIFY; polling", config.relayName());
        } finally {
            closeListener();
        }
    }

    private @Nullable Connection listener() throws SQLException {
        if (listenConnection != null) {
            return listenConnection;
        }
        Connection c = dataSource.getConnection();
        try {
            OutboxDialect dialect = OutboxDialect.detect(c);
            if (dialect != OutboxDialect.POSTGRESQL || !c.isWrapperFor(org.postgresql.PGConnection.class)) {
                c.close();
                return null;
            }
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("LISTEN " + tables.outbox());
            }
        } catch (SQLException | RuntimeException e) {
            c.close(); // the listener retries with backoff: each failed try must give its connection back
            throw e;
        }
        listenConnection = c;
        return c;
    }

    private void closeListener() {
        Connection c = listenConnection;
        listenConnection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is being discarded anyway
            }
        }
    }

    private OutboxSql sql(Connection c) {
        OutboxSql s = sql;
        if (s == null) {
            s = new OutboxSql(OutboxDialect.detect(c), tables);
            sql = s;
        }
        return s;
    }

    private long backoffMillis(int failures) {
        long base = config.initialBackoff().toMillis() << Math.min(20, Math.max(0, failures - 1));
        long capped = Math.min(base, config.maxBackoff().toMillis());
        // Full jitter on the upper half so relays that failed together don't retry together.
        return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }

    private void sleep(long ms) {
        // Parked rather than Thread.sleep: close() unparks the loop to end a wait, and never has to interrupt it
        // (an interrupt during JDBC I/O closes the pooled connection under the driver).
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long left;
        while (running && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
            if (Thread.currentThread().isInterrupted()) {
                running = false;
            }
        }
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; closing it releases the locks
        }
    }

    /**
     * Stops the loop (after the current round, also one a caller runs in {@link #relayOnce()}), gives the kept H2
     * connection back and closes the producer. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        running = false;
        Thread t = loop;
        Thread l = listenerThread;
        if (l != null) {
            LockSupport.unpark(l);
        }
        if (t != null) {
            LockSupport.unpark(t);
            try {
                // A round in progress finishes and commits (an idle wait ends at once: it is unparked); only a round
                // stuck for longer is interrupted.
                if (!t.join(config.pollInterval().plus(CLOSE_GRACE))) {
                    t.interrupt();
                    t.join(Duration.ofSeconds(30));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Thread h = housekeeper;
        if (h != null) {
            try {
                h.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // A round running on a caller's thread (relayOnce) finishes and commits first: it holds roundLock. Then the
        // kept H2 connection goes back to the pool. A round stuck for longer than it may wait on the log gives the
        // connection back itself when it ends (it sees closed).
        try {
            if (roundLock.tryLock(config.publishTimeout().plus(CLOSE_GRACE).toNanos(), TimeUnit.NANOSECONDS)) {
                try {
                    releaseRoundConnection();
                } finally {
                    roundLock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (l != null) {
            try {
                // It notices within LISTEN_WAIT_MS, or when a stream of notifications pauses for a millisecond.
                if (!l.join(Duration.ofMillis(LISTEN_WAIT_MS).plus(CLOSE_GRACE))) {
                    l.interrupt();
                    l.join(Duration.ofSeconds(30));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close();
    }

    private record Row(long id, UUID eventId, String topic, byte @Nullable [] key, long keySeq,
                       byte @Nullable [] payload, Headers headers, long createdAt, int attempts) {
    }
}
