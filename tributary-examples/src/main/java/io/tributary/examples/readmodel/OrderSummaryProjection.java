package io.tributary.examples.readmodel;

import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.processing.Processor;
import io.tributary.processing.ProcessorConfig;
import io.tributary.schema.AvroDeserializer;
import io.tributary.schema.RegisteredSchema;
import io.tributary.schema.SchemaRegistryClient;
import io.tributary.schema.SchemaText;
import io.tributary.schema.WireFormat;
import java.nio.charset.StandardCharsets;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.apache.avro.generic.GenericRecord;
import org.jspecify.annotations.Nullable;

/**
 * Projects the {@code orders} topic into the order-summary read model: one row per order (status, customer, amount,
 * the schema version its {@code OrderPlaced} was written with) and revenue per customer (shipped orders only).
 *
 * <p><b>Checkpoint in the same transaction.</b> Each micro-batch is one transaction that updates the rows <i>and</i>
 * the checkpoint. The checkpoint that decides what to apply is per order: the row's {@code version}, the stream
 * version of the last event applied to it. An event is applied only if its version is the next one; a redelivered
 * event (version already applied) is skipped, so a crash anywhere replays safely. (A per-partition offset alone would
 * not be enough here: batches of one partition run concurrently for different orders, so their offsets interleave.)
 * The table {@code <prefix>projection_offsets} keeps the highest offset applied per partition, in the same
 * transaction, for lag and for operators.
 *
 * <p><b>Rows it wrote itself are not read again.</b> The projection remembers what it committed for each open order
 * (customer, amount, status, version; dropped once final) and takes a new order's {@code OrderPlaced} as having no row
 * yet, so an order's row is inserted on its first event and updated on the later ones without being read. Only the
 * orders it knows nothing of are read, after a restart for example. It remembers at most {@value #DEFAULT_REMEMBERED}
 * orders by default: when full, the order least recently written or looked up is forgotten, so the orders of
 * partitions this instance lost in a rebalance, or of orders never finished, age out rather than crowd out new ones;
 * a later event of a forgotten order reads its row again. What it remembers assumes that nothing else deletes or
 * rewrites order rows while it runs: to rebuild the read model (truncate the tables and replay the topic), stop this
 * instance and start a new one.
 *
 * <p><b>Conflicts.</b> The reads take no locks; an update applies only if the row still has the version the batch
 * read or the projection remembered. A batch that finds a row changed (or inserted) under it by another writer, say a
 * second instance during a rebalance, rolls back, forgets what it remembered of the batch's orders and is redone at
 * once on freshly read rows, up to {@value #MAX_CONFLICT_ATTEMPTS} times, inside the same handler call: a conflict
 * costs one more transaction, not a processor retry with backoff, and never dead-letters the batch. The redo skips
 * what the other writer applied, so each event counts once. An {@code OrderPlaced} taken as new whose row is already
 * in the table (redelivered after a restart, or after the order was forgotten as final or past the bound) is not a
 * conflict: the batch is redone the same way, once, and counted in {@link #newOrderMisses()}, not in
 * {@link #conflicts()} nor against the {@value #MAX_CONFLICT_ATTEMPTS} attempts. A JDBC driver that answers batched
 * updates without counts ({@code SUCCESS_NO_INFO}) is refused when the projection starts.
 *
 * <p>This class is deliberately self-contained (tables, SQL, processor) so it can later move onto the platform's
 * projection module without touching the rest of the demo. Thread-safety: batches run concurrently on virtual
 * threads; within a transaction, order rows are written in order-id order and revenue rows in customer order, so
 * concurrent batches (or two instances during a rebalance) wait for each other on rows that exist rather than
 * deadlock. Inserting one new customer's revenue row from two batches can still deadlock on MariaDB (gap locks):
 * a deadlock or serialization failure is redone like any other conflict.
 */
public final class OrderSummaryProjection implements AutoCloseable {

    private final DataSource db;
    private final String orders;
    private final String revenue;
    private final String offsets;
    private final AvroDeserializer deserializer;
    private final Map<Integer, Integer> versionOfSchemaId = new java.util.concurrent.ConcurrentHashMap<>();
    private final SchemaRegistryClient registry;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong newOrderMisses = new AtomicLong();
    /**
     * What this projection last committed for each order still open (placed or confirmed, not yet final), so that the
     * order's next events are applied without reading its row again. See {@link #projectOnce}.
     */
    private final KnownOrders known;
    /**
     * On H2, rows are written with multi-row statements (see {@link #saveMultiRow}); elsewhere as JDBC batches, which
     * PostgreSQL's and MariaDB's drivers already send in few round trips.
     */
    private final boolean multiRow;
    /**
     * The texts of the multi-row statements on H2, by row count (only the sizes {@link #chunkSizes} uses, powers of
     * two up to {@value #MULTI_ROW}; null elsewhere and on other databases): built once here, as rebuilding a text
     * of up to 64 rows for every statement of every batch cost string building and garbage on the hot path.
     */
    private final String[] mergeOrderSql;
    private final String[] insertOrderSql;
    private final Processor processor;

    /** Most open orders remembered by default (a few tens of MiB at most); see {@link KnownOrders}. */
    public static final int DEFAULT_REMEMBERED = 100_000;

    /** An order row as this projection committed it: what a later event's update and revenue need. */
    private record Known(String customer, long amount, String status, long version) {
    }

    /**
     * The open orders this projection remembers, at most {@code capacity}. When full, remembering one more forgets the
     * order least recently remembered or looked up (an access-ordered {@link LinkedHashMap}): open orders are normally
     * finished within a few batches, so the eldest are those of partitions this instance no longer owns or orders
     * never finished, and forgetting one costs only a read of its row on its next event. Thread-safety: one lock
     * (not {@code synchronized}, which pins a virtual thread on Java 21), taken once per batch for all its orders,
     * so the bound holds however many batches run at once. Not durable: empty after a restart.
     */
    private static final class KnownOrders {
        private final ReentrantLock lock = new ReentrantLock();
        private final LinkedHashMap<String, Known> map;

        KnownOrders(int capacity) {
            this.map = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
                    return size() > capacity;
                }
            };
        }

        /** What is remembered of each of {@code orderIds} (null where nothing is), marking them recently used. */
        Known[] lookUp(String[] orderIds) {
            Known[] out = new Known[orderIds.length];
            lock.lock();
            try {
                for (int i = 0; i < orderIds.length; i++) {
                    out[i] = map.get(orderIds[i]);
                }
            } finally {
                lock.unlock();
            }
            return out;
        }

        void forget(String[] orderIds) {
            lock.lock();
            try {
                for (String id : orderIds) {
                    map.remove(id);
                }
            } finally {
                lock.unlock();
            }
        }

        /** Keeps what a committed batch wrote for the orders still open, and forgets those now final. */
        void remember(Map<String, Row> rows) {
            lock.lock();
            try {
                for (Map.Entry<String, Row> entry : rows.entrySet()) {
                    Row r = entry.getValue();
                    if (!r.dirty) {
                        continue;
                    }
                    if (r.status.equals("SHIPPED") || r.status.equals("CANCELLED")) {
                        map.remove(entry.getKey());   // a final order gets no more events
                    } else {
                        map.put(entry.getKey(), new Known(r.customer, r.amount, r.status, r.version));
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private OrderSummaryProjection(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                   SchemaRegistryClient registry, int rememberedOrders) {
        if (rememberedOrders < 0) {
            throw new IllegalArgumentException("rememberedOrders=" + rememberedOrders + " must be 0 (read every row) "
                    + "or more; the default is " + DEFAULT_REMEMBERED);
        }
        this.known = new KnownOrders(rememberedOrders);
        this.db = db;
        this.orders = tablePrefix + "order_summary";
        this.revenue = tablePrefix + "customer_revenue";
        this.offsets = tablePrefix + "projection_offsets";
        this.registry = registry;
        this.deserializer = new AvroDeserializer(registry);
        this.multiRow = checkUpdateCounts(db, orders);
        this.mergeOrderSql = new String[MULTI_ROW + 1];
        this.insertOrderSql = new String[MULTI_ROW + 1];
        for (int size = 1; multiRow && size <= MULTI_ROW; size <<= 1) {
            mergeOrderSql[size] = "MERGE INTO " + orders + " t USING (VALUES "
                    + valuesList("CAST(? AS VARCHAR(16)), CAST(? AS BIGINT), CAST(? AS VARCHAR(64)), CAST(? AS BIGINT)",
                    "?, ?, ?, ?", size) + ") AS v(status, version, order_id, read_version) "
                    + "ON t.order_id = v.order_id AND t.version = v.read_version "
                    + "WHEN MATCHED THEN UPDATE SET status = v.status, version = v.version";
            insertOrderSql[size] = "INSERT INTO " + orders + " (customer_id, amount_cents, status, version, "
                    + "placed_schema_version, sales_channel, order_id) VALUES "
                    + valuesList("?, ?, ?, ?, ?, ?, ?", "?, ?, ?, ?, ?, ?, ?", size);
        }
        this.processor = Processor.startBatched(log, config, this::project);
    }

    /**
     * Starts projecting as consumer group {@code config.name()}, remembering up to {@value #DEFAULT_REMEMBERED} open
     * orders.
     */
    public static OrderSummaryProjection start(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                               SchemaRegistryClient registry) {
        return start(log, config, db, tablePrefix, registry, DEFAULT_REMEMBERED);
    }

    /**
     * Starts projecting as consumer group {@code config.name()}, remembering up to {@code rememberedOrders} open orders
     * (0: none, every batch reads its rows); see the class comment.
     */
    public static OrderSummaryProjection start(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                               SchemaRegistryClient registry, int rememberedOrders) {
        return new OrderSummaryProjection(log, config, db, tablePrefix, registry, rememberedOrders);
    }

    /**
     * Default settings: batches of up to 1,000 events gathered for up to 250 ms, 2 in flight per partition. The read
     * model's lag is not on the order's critical path, and fuller batches mean fewer transactions and commits, fewer
     * row reads (an order placed and shipped within one batch is read and written once) and fewer revenue updates.
     * The wait is long enough for most orders' whole life (placed to shipped: tens of ms below saturation) to fall
     * into one batch, so their row is inserted once with its final status instead of inserted and then updated (an
     * order shipped d ms after it was placed shares a batch window of w ms with its placement about 1 - d/w of the
     * time: 60% for d = 20 at the old 50 ms, 92% at 250 ms).
     * Offsets commit once a second, as payments' do ({@code PaymentService.defaultConfig}: each commit costs an H2
     * {@code CHECKPOINT}); a replayed event is skipped by its order's version.
     */
    public static ProcessorConfig defaultConfig(String ordersTopic) {
        return ProcessorConfig.of("order-summary", ordersTopic).withBatching(1000, 1 << 20, Duration.ofMillis(250))
                .withConcurrencyPerPartition(2).withMaxBufferedPerPartition(4000)
                .withCommitInterval(Duration.ofSeconds(1));
    }

    /** Creates the read model's tables if missing. */
    public static void createTables(Connection c, String tablePrefix) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "order_summary (order_id VARCHAR(64) PRIMARY KEY, "
                    + "customer_id VARCHAR(64) NOT NULL, amount_cents BIGINT NOT NULL, status VARCHAR(16) NOT NULL, "
                    + "version BIGINT NOT NULL, placed_schema_version INT NOT NULL, sales_channel VARCHAR(32) NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "customer_revenue (customer_id VARCHAR(64) PRIMARY KEY, "
                    + "shipped_orders BIGINT NOT NULL, revenue_cents BIGINT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "projection_offsets (topic VARCHAR(255) NOT NULL, "
                    + "partition_id INT NOT NULL, last_offset BIGINT NOT NULL, PRIMARY KEY (topic, partition_id))");
        }
    }

    /** The state of one order row, as read at the start of a batch and changed by it. */
    private static final class Row {
        final boolean exists;
        /** Taken as new, without a read, for an {@code OrderPlaced} of an order this projection did not remember. */
        boolean assumedNew;
        /** The version the row had when the batch read it: its update applies only if the row still has it. */
        final long readVersion;
        String customer;
        long amount;
        String status;
        long version;
        int schemaVersion;
        String channel;
        boolean dirty;

        Row(boolean exists, String customer, long amount, String status, long version, int schemaVersion, String channel) {
            this.exists = exists;
            this.customer = customer;
            this.amount = amount;
            this.status = status;
            this.version = version;
            this.readVersion = version;
            this.schemaVersion = schemaVersion;
            this.channel = channel;
        }
    }

    /** Most attempts of one batch that finds rows changed under it, before it fails like any other error. */
    static final int MAX_CONFLICT_ATTEMPTS = 10;

    /**
     * A row the batch read was changed (or inserted) by another writer before the batch saved it. Cheap to fix: read
     * the rows again and redo the batch at once, so it is retried inside the handler rather than counted as a failed
     * attempt by the processor (whose retries back off and, after the last, dead-letter the whole batch).
     */
    private static final class VersionConflict extends Exception {
        /**
         * The row was one this projection took as new without reading it, and it was already there: what it does not
         * remember, not another writer. Redone the same way, but not counted as a conflict.
         */
        final boolean tookExistingOrderAsNew;

        VersionConflict(String message, @Nullable Throwable cause) {
            this(message, cause, false);
        }

        VersionConflict(String message, @Nullable Throwable cause, boolean tookExistingOrderAsNew) {
            super(message, cause);
            this.tookExistingOrderAsNew = tookExistingOrderAsNew;
        }
    }

    private void project(List<LogRecord> events) throws Exception {
        String[] keys = new String[events.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = new String(Objects.requireNonNull(events.get(i).key()), StandardCharsets.UTF_8);
        }
        long[] versions = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            LogRecord e = events.get(i);
            versions[i] = Long.parseLong(e.headers().lastString(EventSchemas.STREAM_VERSION_HEADER)
                    .orElseThrow(() -> new IllegalStateException("Event at " + e.topic() + "/" + e.partition()
                            + "@" + e.offset() + " has no " + EventSchemas.STREAM_VERSION_HEADER + " header")));
        }
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            boolean trustKnown = true;
            for (int attempt = 1; ; attempt++) {
                try {
                    projectOnce(c, events, keys, versions, trustKnown);
                    return;
                } catch (VersionConflict conflict) {
                    // A redo reads every row: what made the attempt fail may be a row this projection did not know of.
                    trustKnown = false;
                    if (conflict.tookExistingOrderAsNew) {
                        // Only the first attempt takes rows as new without reading them, so this happens once per
                        // call and the redo's attempts are still bounded below.
                        newOrderMisses.incrementAndGet();
                        attempt--;
                        continue;
                    }
                    if (attempt >= MAX_CONFLICT_ATTEMPTS) {
                        throw new IllegalStateException(conflict.getMessage() + ". The batch met a changed row "
                                + attempt + " times in a row; check that no other writer keeps updating the read model",
                                conflict.getCause());
                    }
                    conflicts.incrementAndGet();
                }
            }
        }
    }

    /**
     * One attempt at a batch: one transaction, committed, or rolled back whole if anything fails.
     *
     * <p><b>Which rows are read.</b> With {@code trustKnown}, an order this projection committed and that is still open
     * is taken from {@link #known}, and an order whose first event in the batch is its {@code OrderPlaced} (version 0)
     * is taken to have no row yet; only the other orders are read. So an order's row is normally never read at all:
     * inserted on its first event, updated on the later ones. The database stays the judge, as when rows are read:
     * the update applies only if the row still has the version this projection knows, and the insert fails on the
     * primary key if the row exists (another writer, or a redelivery after a restart, before which nothing is known).
     * Either way the attempt rolls back, the batch's orders are forgotten, and the redo reads every row of the batch.
     * (Reading the rows was about a sixth of this projection's CPU time, and every row it read was one it had written.)
     */
    private void projectOnce(Connection c, List<LogRecord> events, String[] keys, long[] versions, boolean trustKnown)
            throws Exception {
        // Sorted by order id, so every write of order rows (JDBC batch or multi-row statement) locks them in one
        // order: two instances writing the same orders during a rebalance then wait for each other, not deadlock.
        Map<String, Row> rows = new TreeMap<>();
        Map<String, long[]> revenueDelta = new TreeMap<>();   // sorted: lock customers in one order
        long maxOffset = -1;
        long a = 0, s = 0;
        // The rows still to read are read with a few multi-row statements, not one per order, and saved as JDBC
        // batches: per-statement overhead, not the rows, was most of this projection's database time.
        try {
            Set<String> toRead = new LinkedHashSet<>();
            Known[] remembered = trustKnown ? known.lookUp(keys) : new Known[keys.length];
            for (int i = 0; i < keys.length; i++) {
                String orderId = keys[i];
                if (rows.containsKey(orderId)) {
                    continue;
                }
                Known k = remembered[i];
                if (k != null) {
                    rows.put(orderId, new Row(true, k.customer(), k.amount(), k.status(), k.version(), 0, ""));
                } else if (trustKnown && versions[i] == 0) {
                    Row fresh = newRow();
                    fresh.assumedNew = true;
                    rows.put(orderId, fresh);
                } else {
                    toRead.add(orderId);
                }
            }
            loadAll(c, List.copyOf(toRead), rows);
            for (int i = 0; i < keys.length; i++) {
                LogRecord e = events.get(i);
                maxOffset = Math.max(maxOffset, e.offset());
                String orderId = keys[i];
                long version = versions[i];
                Row row = rows.get(orderId);
                if (version <= row.version) {
                    s++;   // already applied: a redelivery
                    continue;
                }
                if (version != row.version + 1) {
                    throw new IllegalStateException("Order " + orderId + ": event version " + version
                            + " arrived after version " + row.version + "; versions " + (row.version + 1) + ".."
                            + (version - 1) + " are missing, which per-key ordering rules out. Rebuild the read "
                            + "model from the beginning of the topic");
                }
                apply(row, e, revenueDelta);
                row.version = version;
                row.dirty = true;
                a++;
            }
            if (multiRow) {
                saveMultiRow(c, rows);
            } else {
                save(c, rows);
            }
            // Not a multi-row MERGE on H2 either: H2 2.3.232's MERGE now and then adds an increment twice when
            // concurrent transactions update the same row (a customer shipped in two partitions' batches at once). The
            // demo's check caught it (2 customers of 1,000 too high in 2 runs of 49), and a replay of 8 threads
            // merging into 200 rows over-counted 5 of them in 97,000 commits, where plain UPDATEs lost or added
            // nothing in 114,000.
            addRevenue(c, revenueDelta);
            if (maxOffset >= 0) {
                LogRecord first = events.get(0);
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + offsets + " SET last_offset = "
                        + "GREATEST(last_offset, ?) WHERE topic = ? AND partition_id = ?")) {
                    ps.setLong(1, maxOffset);
                    ps.setString(2, first.topic());
                    ps.setInt(3, first.partition());
                    ps.executeUpdate();
                }
            }
            c.commit();
        } catch (Exception ex) {
            // The rows may differ from what this projection knew (a conflict), or a failed commit may have applied
            // after all: the next attempt reads them.
            known.forget(keys);
            c.rollback();
            throw ex;
        }
        known.remember(rows);
        applied.addAndGet(a);
        skipped.addAndGet(s);
    }

    private static Row newRow() {
        return new Row(false, "", 0, "NEW", -1, 0, "");
    }

    private void apply(Row row, LogRecord e, Map<String, long[]> revenueDelta) {
        String type = e.headers().eventType().orElse("");
        switch (type) {
            case EventSchemas.ORDER_PLACED -> {
                // Our reader schema is v2: v1 events read with salesChannel = "web".
                GenericRecord g = (GenericRecord) Objects.requireNonNull(
                        deserializer.deserialize(e.value(), EventSchemas.ORDER_PLACED_V2));
                row.customer = String.valueOf(g.get("customerId"));
                row.amount = (Long) g.get("amountCents");
                row.channel = String.valueOf(g.get("salesChannel"));
                row.schemaVersion = schemaVersion(e.topic(), Objects.requireNonNull(e.value()));
                row.status = "PLACED";
            }
            case EventSchemas.PAYMENT_CONFIRMED_TYPE -> row.status = "CONFIRMED";
            case EventSchemas.ORDER_SHIPPED_TYPE -> {
                row.status = "SHIPPED";
                long[] d = revenueDelta.computeIfAbsent(row.customer, k -> new long[2]);
                d[0]++;
                d[1] += row.amount;
            }
            case EventSchemas.ORDER_CANCELLED_TYPE -> row.status = "CANCELLED";
            default -> throw new IllegalStateException("Unknown order event type '" + type + "' at " + e.topic() + "/"
                    + e.partition() + "@" + e.offset() + "; deploy a projection that knows it, then rebuild");
        }
    }

    /** The registry version of the schema an event was written with (e.g. 1 or 2 for {@code OrderPlaced}). */
    private int schemaVersion(String topic, byte[] value) {
        int id = WireFormat.schemaId(value);
        return versionOfSchemaId.computeIfAbsent(id, i -> registry.lookup(
                        EventSchemas.subject(topic, EventSchemas.ORDER_PLACED_V2),
                        SchemaText.avro(registry.avroSchemaById(i).toString()))
                .map(RegisteredSchema::version).orElse(0));
    }

    /** Most rows per multi-row read. */
    static final int LOAD_CHUNK = 64;

    /**
     * Reads the rows of {@code orderIds} into {@code rows}, up to {@value #LOAD_CHUNK} per statement; an order with no
     * row gets a new, not yet existing one. Each read's id list is padded with repeats of its first id to a power of
     * two, so the batches use at most seven statement texts and the database keeps their plans cached ({@code IN}
     * ignores the repeats; a repeated row would only be read twice). The read takes no locks ({@code FOR UPDATE} made
     * H2 parse the statement again on every use): {@link #save} writes a row only if it still has the version read
     * here.
     */
    private void loadAll(Connection c, List<String> ids, Map<String, Row> rows) throws SQLException {
        for (int from = 0; from < ids.size(); from += LOAD_CHUNK) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + LOAD_CHUNK));
            int size = Integer.highestOneBit(chunk.size()) == chunk.size() ? chunk.size()
                    : Integer.highestOneBit(chunk.size()) << 1;
            try (PreparedStatement ps = c.prepareStatement("SELECT order_id, customer_id, amount_cents, status, "
                    + "version, placed_schema_version, sales_channel FROM " + orders + " WHERE order_id IN ("
                    + String.join(", ", Collections.nCopies(size, "?")) + ")")) {
                for (int i = 0; i < size; i++) {
                    ps.setString(i + 1, chunk.get(i < chunk.size() ? i : 0));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String returned = rs.getString(1);
                        Row row = new Row(true, rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5),
                                rs.getInt(6), rs.getString(7));
                        // Keyed by the id the batch asked for, not the string the database returns: with a CHAR column
                        // or a case- or pad-insensitive collation (an external jdbcUrl) they differ, and the row would
                        // look missing (an insert that the primary key rejects, on every retry).
                        String requested = chunk.contains(returned) ? returned : matching(chunk, returned);
                        if (requested != null) {
                            rows.put(requested, row);
                        }
                    }
                }
            }
        }
        for (String id : ids) {
            rows.computeIfAbsent(id, k -> newRow());
        }
    }

    /** The requested id the database matched as {@code returned}: equal but for trailing spaces and case. */
    private static @Nullable String matching(List<String> requested, String returned) {
        String wanted = returned.stripTrailing();
        for (String id : requested) {
            if (id.stripTrailing().equalsIgnoreCase(wanted)) {
                return id;
            }
        }
        return null;
    }

    /**
     * Writes the batch's changed rows: one batched INSERT for new orders, one batched UPDATE for known ones. An update
     * sets only the status and version: a row's other columns come from its {@code OrderPlaced}, which is version 0 and
     * so only ever applied to a new row. An update applies only if the row still has the version the batch read; if another writer (say, a second instance during a
     * rebalance) changed it meanwhile, or inserted an order the batch found missing (the primary key rejects it), the
     * batch's transaction rolls back whole and the batch is redone at once on fresh rows (see {@link #project}).
     */
    private void save(Connection c, Map<String, Row> rows) throws SQLException, VersionConflict {
        List<String> updated = new ArrayList<>();
        try (PreparedStatement update = c.prepareStatement("UPDATE " + orders + " SET status = ?, version = ? "
                + "WHERE order_id = ? AND version = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + orders + " (customer_id, amount_cents, "
                     + "status, version, placed_schema_version, sales_channel, order_id) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            int updates = 0;
            int inserts = 0;
            boolean anyAssumedNew = false;
            for (Map.Entry<String, Row> entry : rows.entrySet()) {
                Row r = entry.getValue();
                if (!r.dirty) {
                    continue;
                }
                if (r.exists) {
                    update.setString(1, r.status);
                    update.setLong(2, r.version);
                    update.setString(3, entry.getKey());
                    update.setLong(4, r.readVersion);
                    update.addBatch();
                    updated.add(entry.getKey());
                    updates++;
                } else {
                    insert.setString(1, r.customer);
                    insert.setLong(2, r.amount);
                    insert.setString(3, r.status);
                    insert.setLong(4, r.version);
                    insert.setInt(5, r.schemaVersion);
                    insert.setString(6, r.channel);
                    insert.setString(7, entry.getKey());
                    insert.addBatch();
                    inserts++;
                    anyAssumedNew |= r.assumedNew;
                }
            }
            if (updates > 0) {
                int[] counts = executeBatch(update);
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] == Statement.SUCCESS_NO_INFO) {
                        throw noUpdateCounts();
                    }
                    if (counts[i] != 1) {
                        throw new VersionConflict("Order " + updated.get(i) + " in " + orders + " changed after this "
                                + "batch read it, or since this projection last wrote it (update count " + counts[i]
                                + ")", null);
                    }
                }
            }
            if (inserts > 0) {
                try {
                    executeBatch(insert);
                } catch (VersionConflict conflict) {
                    throw insertConflict(conflict, anyAssumedNew);
                }
            }
        }
    }

    /** Most rows per multi-row statement on H2. */
    static final int MULTI_ROW = 64;

    /**
     * The sizes of the multi-row statements that write {@code n} rows: as many of {@value #MULTI_ROW} as fit, then the
     * rest split into powers of two (45 = 32 + 8 + 4 + 1), so each table needs at most seven statement texts and H2
     * keeps them all parsed. Rows cannot be padded as reads are: a repeated row would be written twice.
     */
    static int[] chunkSizes(int n) {
        int[] sizes = new int[n / MULTI_ROW + Integer.bitCount(n % MULTI_ROW)];
        int i = 0;
        for (int k = 0; k < n / MULTI_ROW; k++) {
            sizes[i++] = MULTI_ROW;
        }
        for (int bit = MULTI_ROW >> 1; bit > 0; bit >>= 1) {
            if ((n % MULTI_ROW & bit) != 0) {
                sizes[i++] = bit;
            }
        }
        return sizes;
    }

    /** {@code "(" + row + ")"} {@code rows} times, comma-separated: the VALUES list of a multi-row statement. */
    private static String valuesList(String firstRow, String row, int rows) {
        StringBuilder sb = new StringBuilder(rows * (row.length() + 4)).append('(').append(firstRow).append(')');
        for (int i = 1; i < rows; i++) {
            sb.append(", (").append(row).append(')');
        }
        return sb.toString();
    }

    /**
     * {@link #save} for H2: the same writes, with a statement per up to {@value #MULTI_ROW} rows instead of one per
     * row. In H2 each statement of a JDBC batch is a statement of its own (start, undo-log savepoint, result,
     * end), which was about a third of the read model's time when most of its writes were batched single-row
     * statements. New rows are one multi-row {@code INSERT}; updates are one {@code MERGE} whose source is the
     * rows' new status and version and the version each must still have, so a row another writer changed matches
     * nothing and the statement's count comes up short: the same conflict as a single update counting 0, though
     * it cannot say which of the statement's orders it was.
     */
    private void saveMultiRow(Connection c, Map<String, Row> rows) throws SQLException, VersionConflict {
        List<Map.Entry<String, Row>> updates = new ArrayList<>();
        List<Map.Entry<String, Row>> inserts = new ArrayList<>();
        boolean anyAssumedNew = false;
        for (Map.Entry<String, Row> entry : rows.entrySet()) {
            Row r = entry.getValue();
            if (!r.dirty) {
                continue;
            }
            if (r.exists) {
                updates.add(entry);
            } else {
                inserts.add(entry);
                anyAssumedNew |= r.assumedNew;
            }
        }
        inPieces(updates, chunk -> {
            int size = chunk.size();
            try (PreparedStatement ps = c.prepareStatement(mergeOrderSql[size])) {
                int p = 1;
                for (Map.Entry<String, Row> entry : chunk) {
                    Row r = entry.getValue();
                    ps.setString(p++, r.status);
                    ps.setLong(p++, r.version);
                    ps.setString(p++, entry.getKey());
                    ps.setLong(p++, r.readVersion);
                }
                int count = ps.executeUpdate();
                if (count != size) {
                    List<String> ids = new ArrayList<>(size);
                    for (Map.Entry<String, Row> entry : chunk) {
                        ids.add(entry.getKey());
                    }
                    throw new VersionConflict((size - count) + " of orders " + ids + " in " + orders + " changed after "
                            + "this batch read them, or since this projection last wrote them (update count " + count
                            + " of " + size + ")", null);
                }
            }
        });
        final boolean takenAsNew = anyAssumedNew;
        inPieces(inserts, chunk -> {
            try (PreparedStatement ps = c.prepareStatement(insertOrderSql[chunk.size()])) {
                int p = 1;
                for (Map.Entry<String, Row> entry : chunk) {
                    Row r = entry.getValue();
                    ps.setString(p++, r.customer);
                    ps.setLong(p++, r.amount);
                    ps.setString(p++, r.status);
                    ps.setLong(p++, r.version);
                    ps.setInt(p++, r.schemaVersion);
                    ps.setString(p++, r.channel);
                    ps.setString(p++, entry.getKey());
                }
                executeUpdate(ps);
            } catch (VersionConflict conflict) {
                throw insertConflict(conflict, takenAsNew);
            }
        });
    }

    /**
     * The conflict an insert of order rows ends in: as it is, or, when the attempt took rows as new without reading
     * them and the insert met a row already there, one that says so (such an attempt reads none, so every insert in
     * it is one it did not read). A deadlock victim is a conflict like any other: the row may well be missing.
     */
    private VersionConflict insertConflict(VersionConflict conflict, boolean takenAsNew) {
        if (!takenAsNew || !(conflict.getCause() instanceof SQLException e && isUniqueViolation(e))) {
            return conflict;
        }
        return new VersionConflict("An order this projection took as new, without reading it, was already in " + orders
                + " (" + conflict.getMessage() + ")", conflict.getCause(), true);
    }

    /** Writes one multi-row statement's rows; may fail with a conflict as a single statement would. */
    @FunctionalInterface
    private interface PieceWriter<T> {
        void write(List<T> piece) throws SQLException, VersionConflict;
    }

    /** Hands {@code rows} to {@code writer} in the pieces {@link #chunkSizes} cuts them into, in order. */
    private static <T> void inPieces(List<T> rows, PieceWriter<T> writer) throws SQLException, VersionConflict {
        int from = 0;
        for (int size : chunkSizes(rows.size())) {
            writer.write(rows.subList(from, from + size));
            from += size;
        }
    }

    /** {@link #executeBatch} for one statement: a unique-key violation is a conflict, solved by reading again. */
    private static int executeUpdate(PreparedStatement ps) throws SQLException, VersionConflict {
        try {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw conflictOr(e);
        }
    }

    /**
     * Runs a batch; a unique-key violation (another writer inserted the same key first) is a conflict, solved by
     * reading again. Other integrity errors (NOT NULL, CHECK, foreign key) would fail on every retry, so they are
     * not conflicts. {@link BatchUpdateException} extends {@link SQLException}, so both land here.
     */
    private static int[] executeBatch(PreparedStatement ps) throws SQLException, VersionConflict {
        try {
            return ps.executeBatch();
        } catch (SQLException e) {
            throw conflictOr(e);
        }
    }

    /** {@code e} as a {@link VersionConflict} if another writer caused it, thrown; else {@code e}, to be thrown. */
    private static SQLException conflictOr(SQLException e) throws VersionConflict {
        if (isUniqueViolation(e)) {
            throw new VersionConflict("Another writer inserted a row this batch found missing (" + e.getMessage()
                    + ")", e);
        }
        if (isLockConflict(e)) {
            throw new VersionConflict("The database chose this batch's transaction as the victim of a deadlock or "
                    + "serialization failure with another writer (" + e.getMessage() + ")", e);
        }
        return e;
    }

    /**
     * A unique or primary-key violation: SQLState 23505 (PostgreSQL, H2), or MariaDB/MySQL's 23000 with error 1062
     * (their 23000 also covers NOT NULL and foreign-key errors, told apart only by the error code).
     */
    static boolean isUniqueViolation(SQLException e) {
        String state = e.getSQLState();
        return "23505".equals(state) || ("23000".equals(state) && e.getErrorCode() == 1062);
    }

    /**
     * A deadlock or serialization failure, after which the database has rolled the transaction back: SQLState 40001
     * (MariaDB/MySQL's deadlock, error 1213; PostgreSQL's serialization failure; H2's deadlock) or 40P01
     * (PostgreSQL's deadlock). On MariaDB two batches racing to insert one new customer's revenue row end this way,
     * not on the primary key: each UPDATE that found no row holds a gap lock the other's INSERT waits for.
     */
    static boolean isLockConflict(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state);
    }

    /** The driver does not report update counts, which version-conditioned updates depend on. */
    private static IllegalStateException noUpdateCounts() {
        return new IllegalStateException("The JDBC driver answered a batched update with SUCCESS_NO_INFO (no update "
                + "count), so the read model cannot tell whether its version-conditioned update applied; turn off "
                + "batch rewriting or bulk statements in the JDBC URL (e.g. rewriteBatchedStatements=false, "
                + "useBulkStmts=false) for the read model");
    }

    /**
     * Fails at start, before any batch, if the driver answers batched updates without counts: every batch would
     * then fail the same way and be dead-lettered, so the projection stops with that error instead. The probe
     * updates no row (an id no order has) and is rolled back. Returns whether the database is H2, whose rows are
     * written with multi-row statements.
     */
    private static boolean checkUpdateCounts(DataSource db, String orders) {
        try (Connection c = db.getConnection()) {
            boolean h2 = "H2".equals(c.getMetaData().getDatabaseProductName());
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + orders + " SET version = version "
                    + "WHERE order_id = ?")) {
                ps.setString(1, "~probe-1");
                ps.addBatch();
                ps.setString(1, "~probe-2");
                ps.addBatch();
                for (int count : ps.executeBatch()) {
                    if (count == Statement.SUCCESS_NO_INFO) {
                        throw noUpdateCounts();
                    }
                }
            } finally {
                c.rollback();
            }
            return h2;
        } catch (SQLException e) {
            throw new IllegalStateException("Could not check how the JDBC driver reports batched updates on " + orders
                    + "; create the read model's tables first (OrderSummaryProjection.createTables)", e);
        }
    }

    /**
     * Adds each customer's shipped orders and revenue: one JDBC batch of updates in customer order (so concurrent
     * batches lock existing revenue rows in the same order), then one batch of inserts for the customers that had no
     * row yet. Two batches racing to insert one customer: one insert fails on the primary key (H2, PostgreSQL) or is
     * the victim of a deadlock over the gap both updates locked (MariaDB), its transaction rolls back whole and the
     * batch is redone at once, then taking the update path.
     */
    private void addRevenue(Connection c, Map<String, long[]> revenueDelta) throws SQLException, VersionConflict {
        if (revenueDelta.isEmpty()) {
            return;
        }
        List<Map.Entry<String, long[]>> deltas = List.copyOf(revenueDelta.entrySet());
        int[] updated;
        try (PreparedStatement up = c.prepareStatement("UPDATE " + revenue + " SET shipped_orders = shipped_orders + ?, "
                + "revenue_cents = revenue_cents + ? WHERE customer_id = ?")) {
            for (Map.Entry<String, long[]> d : deltas) {
                up.setLong(1, d.getValue()[0]);
                up.setLong(2, d.getValue()[1]);
                up.setString(3, d.getKey());
                up.addBatch();
            }
            updated = executeBatch(up);
        }
        for (int count : updated) {
            if (count == Statement.SUCCESS_NO_INFO) {
                throw noUpdateCounts();
            }
        }
        try (PreparedStatement in = c.prepareStatement("INSERT INTO " + revenue
                + " (customer_id, shipped_orders, revenue_cents) VALUES (?, ?, ?)")) {
            int inserts = 0;
            for (int i = 0; i < deltas.size(); i++) {
                if (updated[i] == 0) {
                    Map.Entry<String, long[]> d = deltas.get(i);
                    in.setString(1, d.getKey());
                    in.setLong(2, d.getValue()[0]);
                    in.setLong(3, d.getValue()[1]);
                    in.addBatch();
                    inserts++;
                }
            }
            if (inserts > 0) {
                executeBatch(in);
            }
        }
    }

    /** Registers the partitions of {@code topic} in the offsets table (idempotent). */
    public static void initOffsets(Connection c, String tablePrefix, String topic, int partitions) throws SQLException {
        for (int p = 0; p < partitions; p++) {
            try (PreparedStatement sel = c.prepareStatement("SELECT 1 FROM " + tablePrefix
                    + "projection_offsets WHERE topic = ? AND partition_id = ?")) {
                sel.setString(1, topic);
                sel.setInt(2, p);
                try (ResultSet rs = sel.executeQuery()) {
                    if (rs.next()) {
                        continue;
                    }
                }
            }
            try (PreparedStatement in = c.prepareStatement("INSERT INTO " + tablePrefix
                    + "projection_offsets (topic, partition_id, last_offset) VALUES (?, ?, -1)")) {
                in.setString(1, topic);
                in.setInt(2, p);
                in.executeUpdate();
            }
        }
    }

    /** Events applied to the read model. */
    public long applied() {
        return applied.get();
    }

    /** Redelivered events recognised by their version and skipped. */
    public long skipped() {
        return skipped.get();
    }

    /**
     * Batch attempts that met a row changed (or inserted) by another writer after the batch read it or since this
     * projection last wrote it, and were redone at once on fresh rows. Not the misses of {@link #newOrderMisses()}.
     */
    public long conflicts() {
        return conflicts.get();
    }

    /**
     * Batch attempts that took an {@code OrderPlaced} (version 0) of an order this projection did not remember as a
     * new row and found the row already there, and were redone at once on read rows: a redelivery after a restart,
     * or of an order forgotten as final or past the bound. Expected after a restart; not conflicts.
     */
    public long newOrderMisses() {
        return newOrderMisses.get();
    }

    /** The processor underneath. */
    public Processor processor() {
        return processor;
    }

    @Override
    public void close() {
        processor.close();
    }
}
