package io.tributary.examples.payments;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Where the payment handler puts orders it cannot process (poison events), with the error, in the same transaction as
 * their inbox row, so the partition keeps moving and nothing is lost. This is the service's dead-letter queue: one
 * table {@code <prefix>payment_parked}, written by {@link #park} and emptied by {@link PaymentService#redriveParked}.
 *
 * <p>Thread-safety: stateless; each call uses the caller's connection and transaction. Durability: a parked row
 * commits or rolls back with the inbox row that marks its event as handled.
 */
public final class ParkedPayments {

    /** A parked order: the event as received and why it could not be processed. */
    public record Parked(UUID eventId, String orderId, byte[] payload, String error) {
    }

    private final String table;

    ParkedPayments(String tablePrefix) {
        this.table = tablePrefix + "payment_parked";
    }

    static void createTables(Connection c, String tablePrefix) throws SQLException {
        String binary = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")
                ? "BYTEA" : "VARBINARY(1048576)";
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "payment_parked (event_id VARCHAR(36) PRIMARY KEY, "
                    + "order_id VARCHAR(64) NOT NULL, payload " + binary + " NOT NULL, error VARCHAR(2000) NOT NULL, "
                    + "attempts INT NOT NULL, redriven BOOLEAN NOT NULL)");
        }
    }

    /** Parks one event in the caller's transaction. */
    void park(Connection c, UUID eventId, String orderId, byte[] payload, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                + " (event_id, order_id, payload, error, attempts, redriven) VALUES (?, ?, ?, ?, 1, FALSE)")) {
            ps.setString(1, eventId.toString());
            ps.setString(2, orderId);
            ps.setBytes(3, payload);
            ps.setString(4, error.length() > 2000 ? error.substring(0, 2000) : error);
            ps.executeUpdate();
        }
    }

    /** Parked events not yet redriven successfully, oldest first by event id (UUIDv7 ids sort by time). */
    public List<Parked> waiting(Connection c) throws SQLException {
        List<Parked> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT event_id, order_id, payload, error FROM "
                + table + " WHERE redriven = FALSE ORDER BY event_id")) {
            while (rs.next()) {
                out.add(new Parked(UUID.fromString(rs.getString(1)), rs.getString(2), rs.getBytes(3), rs.getString(4)));
            }
        }
        return out;
    }

    /** Marks a parked event as handled by a redrive, in the caller's transaction. */
    void markRedriven(Connection c, UUID eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET redriven = TRUE WHERE event_id = ?")) {
            ps.setString(1, eventId.toString());
            ps.executeUpdate();
        }
    }

    /** Records another failed redrive attempt and its error, in the caller's transaction. */
    void markFailedAgain(Connection c, UUID eventId, String error) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
                + " SET attempts = attempts + 1, error = ? WHERE event_id = ?")) {
            ps.setString(1, error.length() > 2000 ? error.substring(0, 2000) : error);
            ps.setString(2, eventId.toString());
            ps.executeUpdate();
        }
    }
}
