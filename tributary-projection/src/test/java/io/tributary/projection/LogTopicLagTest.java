package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Lag on a log topic: end offsets minus the committed checkpoint, and the age of the oldest unapplied record. */
@Timeout(60)
class LogTopicLagTest {

    @TempDir
    Path dir;

    @Test
    void lagReportsTheUnappliedRecordsPerPartitionAndTheAgeOfTheOldest() throws Exception {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("log-lag").withCatalogPrefix(prefix);
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 10);
            AtomicBoolean gateClosed = new AtomicBoolean();
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> gated = (events, ctx) -> {
                if (gateClosed.get()) {
                    entered.countDown();
                    release.await();
                }
                rows.apply(events, ctx);
            };
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), gated, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.lag()).isEqualTo(new ProjectionLag(0, Duration.ZERO, true,
                        Map.of("orders/0", 0L, "orders/1", 0L)));

                gateClosed.set(true);
                long minuteAgo = System.currentTimeMillis() - 60_000;
                var producer = log.producer();
                for (int i = 0; i < 7; i++) {
                    producer.append("orders", 0, new Record(null, ("old" + i).getBytes(StandardCharsets.UTF_8),
                            Headers.empty(), minuteAgo + i));
                }
                for (int i = 0; i < 5; i++) {
                    producer.append("orders", 1, Record.of(null, ("new" + i).getBytes(StandardCharsets.UTF_8)));
                }
                producer.flush();
                assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

                ProjectionLag lag = p.lag();
                assertThat(lag.events()).isEqualTo(12);
                assertThat(lag.eventsByPartition()).isEqualTo(Map.of("orders/0", 7L, "orders/1", 5L));
                assertThat(lag.exact()).isTrue();
                assertThat(lag.time()).as("the oldest unapplied record is a minute old")
                        .isBetween(Duration.ofSeconds(60), Duration.ofSeconds(70));

                gateClosed.set(false);
                release.countDown();
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.lag().events()).isZero();
                assertThat(p.lag().time()).isEqualTo(Duration.ZERO);
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).isEqualTo(22);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }
}
