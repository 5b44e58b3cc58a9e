package io.tributary.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tributary.cli.internal.TextTable;
import io.tributary.outbox.OutboxAdmin;
import io.tributary.outbox.OutboxRow;
import io.tributary.outbox.OutboxStats;
import io.tributary.outbox.OutboxTables;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tributary outbox}: what an operator needs for a transactional outbox: counts, the failed rows that block
 * their keys, and retrying or skipping them. Works on PostgreSQL, MariaDB/MySQL and H2 through a JDBC URL.
 */
@Command(name = "outbox", mixinStandardHelpOptions = true,
        description = {"Inspect and repair a transactional outbox (see docs/outbox.md).",
            "A row that failed maxAttempts times is marked failed and blocks later events of its key;",
            "fix the cause, then 'retry' it, or 'skip' it to let the key move on."},
        subcommands = {OutboxCommand.Stats.class, OutboxCommand.Failed.class, OutboxCommand.Retry.class,
            OutboxCommand.Skip.class})
final class OutboxCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Where the outbox is. */
    static final class Database {
        @Option(names = "--jdbc-url", required = true,
                description = "JDBC URL of the database, e.g. jdbc:postgresql://127.0.0.1:5432/app")
        String url = "";

        @Option(names = "--user", description = "Database user.")
        @Nullable String user;

        @Option(names = "--password", description = "Database password (or set it in the URL).", interactive = false)
        @Nullable String password;

        @Option(names = "--outbox-table", defaultValue = "tributary_outbox",
                description = "Outbox table (default: ${DEFAULT-VALUE}).")
        String outboxTable = "tributary_outbox";

        @Option(names = "--inbox-table", defaultValue = "tributary_inbox",
                description = "Inbox table (default: ${DEFAULT-VALUE}).")
        String inboxTable = "tributary_inbox";

        OutboxTables tables() {
            return new OutboxTables(outboxTable, inboxTable);
        }

        HikariDataSource open() {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(url);
            if (user != null) {
                c.setUsername(user);
            }
            if (password != null) {
                c.setPassword(password);
            }
            c.setMaximumPoolSize(1);
            c.setPoolName("tributary-outbox-cli");
            return new HikariDataSource(c);
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true,
            description = "Counts by status, blocked keys, and the age of the oldest pending row.")
    static final class Stats implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Database db;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (HikariDataSource ds = db.open()) {
                OutboxStats s = OutboxAdmin.stats(ds, db.tables());
                TextTable t = new TextTable("PENDING", "PUBLISHED", "FAILED", "SKIPPED", "BLOCKED KEYS", "OLDEST PENDING");
                t.row(s.pending(), s.published(), s.failed(), s.skipped(), s.blockedKeys(),
                        s.oldestPendingCreatedAt().map(ms -> Duration.ofMillis(System.currentTimeMillis() - ms)
                                .toSeconds() + " s ago").orElse("-"));
                t.print(out, "");
            }
            return ExitStatus.OK;
        }
    }

    @Command(name = "failed", mixinStandardHelpOptions = true,
            description = "List failed rows (each blocks its key) with their last error, oldest first.")
    static final class Failed implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Database db;

        @Option(names = "--limit", defaultValue = "100", description = "Most rows to list (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (HikariDataSource ds = db.open()) {
                TextTable t = new TextTable("ID", "EVENT ID", "TOPIC", "KEY", "TYPE", "ATTEMPTS", "ADDED", "LAST ERROR");
                for (OutboxRow r : OutboxAdmin.list(ds, db.tables(), OutboxRow.Status.FAILED, limit)) {
                    t.row(r.id(), r.eventId(), r.topic(),
                            r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8), r.eventType(),
                            r.attempts(), Instant.ofEpochMilli(r.createdAt()), r.lastError().orElse(""));
                }
                if (t.isEmpty()) {
                    out.println("No failed rows: no key is blocked.");
                } else {
                    t.print(out, "");
                }
            }
            return ExitStatus.OK;
        }
    }

    /** Which rows an action applies to: one row id, or every failed row of a key. */
    static final class Target {
        @Option(names = "--id", description = "The row id (from 'tributary outbox failed').")
        @Nullable Long id;

        @Option(names = "--key", description = "Every failed row of this key (UTF-8).")
        @Nullable String key;
    }

    /** Retry or skip: one row by id, or every failed row of a key. */
    abstract static class RowAction implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Database db;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        abstract void onRow(javax.sql.DataSource ds, OutboxTables tables, long id);

        abstract int onKey(javax.sql.DataSource ds, OutboxTables tables, byte[] key);

        /** What the rows become, e.g. "pending again". */
        abstract String outcome();

        @Override
        public Integer call() {
            try (HikariDataSource ds = db.open()) {
                if (target.id != null) {
                    onRow(ds, db.tables(), target.id);
                    spec.commandLine().getOut().println("Row " + target.id + " is " + outcome() + ".");
                } else {
                    int n = onKey(ds, db.tables(), target.key.getBytes(StandardCharsets.UTF_8));
                    spec.commandLine().getOut().println(n + " failed row(s) of key '" + target.key + "' are " + outcome() + ".");
                }
            }
            return ExitStatus.OK;
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Make failed rows pending again with a fresh attempt count (after fixing the cause).")
    static final class Retry extends RowAction {
        @Override
        void onRow(javax.sql.DataSource ds, OutboxTables tables, long id) {
            OutboxAdmin.retry(ds, tables, id);
        }

        @Override
        int onKey(javax.sql.DataSource ds, OutboxTables tables, byte[] key) {
            return OutboxAdmin.retryKey(ds, tables, key);
        }

        @Override
        String outcome() {
            return "pending again";
        }
    }

    @Command(name = "skip", mixinStandardHelpOptions = true,
            description = "Give up on rows: they are never published, and their key moves on.")
    static final class Skip extends RowAction {
        @Override
        void onRow(javax.sql.DataSource ds, OutboxTables tables, long id) {
            OutboxAdmin.skip(ds, tables, id);
        }

        @Override
        int onKey(javax.sql.DataSource ds, OutboxTables tables, byte[] key) {
            return OutboxAdmin.skipKey(ds, tables, key);
        }

        @Override
        String outcome() {
            return "skipped";
        }
    }
}
