package io.tributary.log;

import io.tributary.log.internal.EmbeddedEventLog;

/**
 * Opens Tributary's own embedded log engine: a durable, partitioned log in a local folder, with nothing to install.
 * Equivalent to {@link EventLogs#open(java.util.Map)} with {@code tributary.log.backend=embedded}.
 *
 * <p>Opening locks the data folder (a second open, in this or another process, fails with
 * {@link LogErrors#DATA_DIR_LOCKED}) and recovers each partition: a write cut short by a crash is truncated and
 * logged; corruption of data that was already durable refuses to open with a
 * {@link io.tributary.core.CorruptionException} naming the file and offset, unless
 * {@link EmbeddedLogConfig#repairOnOpen()} is set. See {@code docs/log.md}.
 */
public final class EmbeddedLog {

    private EmbeddedLog() {
    }

    /** Opens (creating if needed) the log in {@code config.dataDir()}. Close it to release the folder. */
    public static EventLog open(EmbeddedLogConfig config) {
        return EmbeddedEventLog.open(config);
    }
}
