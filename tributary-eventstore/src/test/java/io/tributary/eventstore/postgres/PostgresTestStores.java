package io.tributary.eventstore.postgres;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.StreamName;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.internal.HeaderCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Helpers the PostgreSQL tests share: an append whose transaction stays open for a while before it commits. */
final class PostgresTestStores {

    private PostgresTestStores() {
    }

    /**
     * Calls the store's own append function inside an explicit transaction, sleeps {@code delay}, then commits:
     * the events hold their positions while later appends commit first.
     */
    static WriteResult appendWithLateCommit(PostgresEventStoreConfig config, boolean serialised, String stream,
                                            ExpectedVersion expected, List<EventData> events, Duration delay) throws Exception {
        try (Connection c = PostgresSupport.connect()) {
            c.setAutoCommit(false);
            WriteResult result = callAppend(c, config, serialised, stream, expected, events);
            Thread.sleep(delay.toMillis());
            c.commit();
            return result;
        }
    }

    /**
     * One call on {@code c} (no commit) of the function the store itself would call: es_append_event for one event,
     * es_append_events for more, so the late-commit (no-skip) tests cover both; status 0 or 1 expected.
     */
    static WriteResult callAppend(Connection c, PostgresEventStoreConfig config, boolean serialised, String stream,
                                  ExpectedVersion expected, List<EventData> events) throws Exception {
        return callAppendThrough(c, config, "es_append_event", "es_append_events", serialised, stream, expected, events);
    }

    /**
     * As {@link #callAppend}, through functions of the same parameters by other names: those of the round-10 script
     * (es_append_one, es_append), to write a schema as that version did.
     */
    static WriteResult callAppendThrough(Connection c, PostgresEventStoreConfig config, String oneEventFunction,
                                         String batchFunction, boolean serialised, String stream,
                                         ExpectedVersion expected, List<EventData> events) throws Exception {
        boolean one = events.size() == 1;
        String fn = "." + (one ? oneEventFunction : batchFunction);
        try (PreparedStatement ps = c.prepareStatement("SELECT r_status, r_version, r_first, r_last FROM "
                + config.schema() + fn + "(?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, stream);
            ps.setString(2, StreamName.categoryOf(stream));
            ps.setLong(3, switch (expected) {
                case ExpectedVersion.Exact x -> x.version();
                case ExpectedVersion.Any a -> -2;
                case ExpectedVersion.NoStream n -> -1;
                case ExpectedVersion.StreamExists e -> -4;
            });
            if (one) {
                EventData e = events.getFirst();
                ps.setObject(4, e.eventId());
                ps.setString(5, e.type());
                ps.setBytes(6, e.data());
                ps.setBytes(7, HeaderCodec.encode(e.metadata()));
            } else {
                ps.setArray(4, c.createArrayOf("uuid", events.stream().map(EventData::eventId).toArray(UUID[]::new)));
                ps.setArray(5, c.createArrayOf("text", events.stream().map(EventData::type).toArray(String[]::new)));
                ps.setArray(6, c.createArrayOf("bytea", events.stream().map(EventData::data).toArray(byte[][]::new)));
                ps.setArray(7, c.createArrayOf("bytea", events.stream().map(e -> HeaderCodec.encode(e.metadata())).toArray(byte[][]::new)));
            }
            ps.setBoolean(8, serialised);
            ps.setInt(9, stream.hashCode());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) > 1) {
                    throw new IllegalStateException(fn.substring(1) + " refused with status " + rs.getInt(1)
                            + " for stream '" + stream + "'");
                }
                return new WriteResult(stream, rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getInt(1) == 1);
            }
        }
    }

    static EventStore open(PostgresEventStoreConfig config) {
        return io.tributary.eventstore.EventStores.postgres(config);
    }
}
