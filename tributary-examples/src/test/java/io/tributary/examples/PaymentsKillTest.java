package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.payments.PaymentService;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.log.PartitionLag;
import io.tributary.outbox.OutboxSchema;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The payment service's promise across a real process crash: every {@code OrderPlaced} whose offset the payments group
 * committed to the log has its payment row, its inbox row and its outbox row in the demo's embedded H2 database. The
 * offsets are committed after the H2 commit returns, so this holds only if a returned H2 commit is already in the
 * database file when the JVM dies (SIGKILL, no shutdown hook, no close). The demo's own crash stops the processor's
 * threads inside a live JVM, where H2 keeps its unwritten commits in memory, so it cannot show this.
 */
@Tag("slow")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // readLine ignores interrupts
class PaymentsKillTest {

    private static final String ORDERS = "orders";
    private static final String PAYMENTS = "payments";
    private static final int PARTITIONS = 4;
    /** More than the child gets to before the kill: the feed is still running when it dies. */
    private static final int ORDERS_FED = 20_000;
    private static final int RATE = 2_000;
    /**
     * Killed at the first offset commit after this many orders were paid: about 1.5 s of steady flow, several offset
     * commits.
     */
    private static final int PAID_BEFORE_KILL = 3_000;

    @TempDir
    Path dir;

    @Test
    void everyOrderWhoseOffsetPaymentsCommittedHasItsPaymentAndOutboxRowsAfterSigkill() throws Exception {
        try (EventLog log = openLog()) {
            log.admin().createTopic(NewTopic.of(ORDERS, PARTITIONS));
            log.admin().createTopic(NewTopic.of(PAYMENTS, PARTITIONS));
            try (SchemaRegistry registry = SchemaRegistry.open(log)) {
                registry.register(EventSchemas.subject(ORDERS, EventSchemas.ORDER_PLACED_V1),
                        SchemaText.avro(EventSchemas.ORDER_PLACED_V1.toString()));
                for (var s : List.of(EventSchemas.PAYMENT_SUCCEEDED, EventSchemas.PAYMENT_FAILED)) {
                    registry.register(EventSchemas.subject(PAYMENTS, s), SchemaText.avro(s.toString()));
                }
            }
        }
        try (HikariDataSource db = openDb()) {
            try (Connection c = db.getConnection()) {
                PaymentService.createTables(c, OrderFulfilmentDemo.TABLE_PREFIX);
            }
            OutboxSchema.create(db, OrderFulfilmentDemo.OUTBOX_TABLES);
        }

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PaymentsKillChild.class.getName(), dir.toString(),
                ORDERS, PAYMENTS, Integer.toString(ORDERS_FED), Integer.toString(RATE))
                .redirectErrorStream(true).start();
        StringBuilder seen = new StringBuilder();
        long paid = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("COMMITTED ")) {
                    paid = Long.parseLong(line.substring(line.indexOf(" PAID ") + 6));
                    if (paid >= PAID_BEFORE_KILL) {
                        break;
                    }
                } else {
                    seen.append(line).append('\n');
                }
            }
        } finally {
            // SIGKILL right after an offset commit, when the most H2 commits the log counts as done may still wait
            // for H2's writer (up to WRITE_DELAY later); no shutdown hook runs, H2 and the log are never closed. In a
            // finally, so a failed or timed-out wait never leaves the child running.
            child.destroyForcibly();
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(paid).as("orders paid before the kill; child output:\n%s", seen).isGreaterThanOrEqualTo(PAID_BEFORE_KILL);

        // What the log says payments finished: every order below its committed offset, per partition.
        Map<Integer, Long> committed = new HashMap<>();
        Map<UUID, String> committedOrders = new HashMap<>();
        try (EventLog log = openLog()) {
            for (PartitionLag p : log.admin().describeGroup(PaymentService.INBOX_CONSUMER).offsets()) {
                if (p.partition().topic().equals(ORDERS)) {
                    committed.put(p.partition().partition(), p.committedOffset());
                }
            }
            TopicReader.readAll(log, ORDERS, r -> {
                if (r.offset() < committed.getOrDefault(r.partition(), -1L)) {
                    committedOrders.put(r.eventId(), r.keyString() + " at " + ORDERS + "/" + r.partition() + "@"
                            + r.offset());
                }
            });
        }
        assertThat(committedOrders.size()).as("orders below the committed offsets %s", committed)
                .isGreaterThan(PAID_BEFORE_KILL / 2);

        // What H2 holds after reopening the files the killed JVM left.
        Set<String> inbox = new HashSet<>();
        Map<String, String> paymentOutboxIdByOrderEvent = new HashMap<>();
        Set<String> outbox = new HashSet<>();
        try (HikariDataSource db = openDb(); Connection c = db.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT event_id FROM " + OrderFulfilmentDemo.OUTBOX_TABLES.inbox()
                    + " WHERE consumer = '" + PaymentService.INBOX_CONSUMER + "'")) {
                while (rs.next()) {
                    inbox.add(rs.getString(1));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT order_event_id, outbox_event_id FROM "
                    + OrderFulfilmentDemo.TABLE_PREFIX + "payments")) {
                while (rs.next()) {
                    paymentOutboxIdByOrderEvent.put(rs.getString(1), rs.getString(2));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT event_id FROM " + OrderFulfilmentDemo.OUTBOX_TABLES.outbox())) {
                while (rs.next()) {
                    outbox.add(rs.getString(1));
                }
            }
        }

        List<String> lost = new ArrayList<>();
        for (Map.Entry<UUID, String> e : committedOrders.entrySet()) {
            String eventId = e.getKey().toString();
            String paymentsOutboxId = paymentOutboxIdByOrderEvent.get(eventId);
            if (!inbox.contains(eventId) || paymentsOutboxId == null || !outbox.contains(paymentsOutboxId)) {
                lost.add(e.getValue() + " (inbox row " + inbox.contains(eventId) + ", payment row "
                        + (paymentsOutboxId != null) + ", outbox row "
                        + (paymentsOutboxId != null && outbox.contains(paymentsOutboxId)) + ")");
            }
        }
        assertThat(lost.size()).as("orders whose offset payments committed but whose payment H2 lost in the kill, of %d "
                        + "committed (offsets %s, %d payment rows on disk); first ones: %s", committedOrders.size(),
                committed, paymentOutboxIdByOrderEvent.size(), lost.stream().sorted().limit(5).toList())
                .isZero();
    }

    private EventLog openLog() {
        return EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
    }

    private HikariDataSource openDb() {
        return OrderFulfilmentDemo.dataSource(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty(), 2);
    }
}
