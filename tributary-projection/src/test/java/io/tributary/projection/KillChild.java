package io.tributary.projection;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.nio.file.Path;

/**
 * The child JVM of {@link ProjectionKillTest}: runs a projection whose handler writes its rows and then dawdles
 * inside the transaction, printing how many events it has committed, until the parent kills it with SIGKILL.
 * Arguments: jdbc url, user, catalog prefix, logical table, log directory.
 */
public final class KillChild {

    private KillChild() {
    }

    public static void main(String[] args) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(args[0]);
        hc.setUsername(args[1]);
        hc.setMaximumPoolSize(4);
        try (HikariDataSource ds = new HikariDataSource(hc); EventLog log = Fixtures.openLog(Path.of(args[4]))) {
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(args[3]);
            ProjectionHandler<LogRecord> slow = (events, ctx) -> {
                rows.apply(events, ctx);
                Thread.sleep(15); // the kill most likely lands here: rows written, transaction open
            };
            Projection<LogRecord> p = Projection.start(ds, new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(args[3]), slow,
                    ProjectionConfig.of("killed").withCatalogPrefix(args[2]).withMaxBatchEvents(50));
            while (true) {
                System.out.println("COMMITTED " + p.eventsApplied());
                System.out.flush();
                Thread.sleep(10);
            }
        }
    }
}
