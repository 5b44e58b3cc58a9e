package io.tributary.processing;

import io.tributary.log.LogRecord;
import java.sql.Connection;

/**
 * Handles one event inside a database transaction opened by {@link JdbcHandlers#transactional}: write your changes
 * through {@code connection} and return; do not commit, roll back or close it (the adapter does, together with the
 * event's dedupe claim). Threads and order are those of {@link EventHandler}.
 */
@FunctionalInterface
public interface JdbcEventHandler {

    /** Applies the event through {@code connection}; throw to roll back this attempt. */
    void handle(LogRecord event, Connection connection) throws Exception;
}
