package io.tributary.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.log.EventLog;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Child JVM for {@link OutboxRelayKillTest}: relays once, and after the log acknowledged the batch (before the rows
 * are marked) tells the parent and waits to be killed.
 * Args: jdbcUrl user outboxTable inboxTable logDir
 */
public final class RelayKillChild {

    private RelayKillChild() {
    }

    public static void main(String[] args) throws Exception {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(args[0]);
        hc.setUsername(args[1]);
        hc.setMaximumPoolSize(2);
        try (HikariDataSource ds = new HikariDataSource(hc); EventLog log = LogFixture.open(Path.of(args[4]))) {
            OutboxRelay relay = OutboxRelay.create(ds, log, new OutboxTables(args[2], args[3]), RelayConfig.defaults(),
                    new SimpleMeterRegistry(), new RelayObserver() {
                        @Override
                        public void published(List<UUID> eventIds) {
                            System.out.println("PUBLISHED " + eventIds.size());
                            System.out.flush();
                            try {
                                Thread.sleep(120_000); // the parent kills us here, between publish and mark
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
            relay.relayOnce();
            System.out.println("NOT KILLED");
        }
    }
}
