package io.tributary.log.tck;

import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The embedded engine, held to the conformance kit: each test gets a log in a fresh data folder, deleted after, with
 * the cleaner running every 200 ms.
 */
class EmbeddedLogConformanceTest extends EventLogConformanceKit {

    private final Map<EventLog, Path> dataDirs = new IdentityHashMap<>();

    @Override
    protected EventLog openLog() {
        try {
            return open(Files.createTempDirectory("tributary-tck-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private EventLog open(Path dir) {
        EventLog log = EventLogs.open(Map.of(
                EventLogs.BACKEND, "embedded",
                EmbeddedLogConfig.DATA_DIR, dir.toString(),
                // Retention and compaction act within a fraction of a second, so the kit's bounded waits stay short.
                EmbeddedLogConfig.CLEANER_INTERVAL_MS, "200"));
        synchronized (dataDirs) {
            dataDirs.put(log, dir);
        }
        return log;
    }

    @Override
    protected void closeLog(EventLog log) {
        log.close();
        Path dir;
        synchronized (dataDirs) {
            dir = dataDirs.remove(log);
        }
        if (dir != null) {
            delete(dir);
        }
    }

    @Override
    protected boolean canReopen() {
        return true;
    }

    @Override
    protected EventLog reopenLog(EventLog log) {
        Path dir;
        synchronized (dataDirs) {
            dir = dataDirs.remove(log);
        }
        log.close();
        return open(dir);
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the test data folder " + dir, e);
        }
    }
}
