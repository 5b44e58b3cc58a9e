package io.tributary.examples.readmodel;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * The queries the read side answers (what {@code tributary demo query} prints). Read-only; thread-safe; each call
 * uses its own connection and sees the read model as of its last committed batch.
 */
public final class OrderSummaryQueries {

    /** One order in the read model. */
    public record OrderRow(String orderId, String customerId, long amountCents, String status, long version,
                           int placedSchemaVersion, String salesChannel) {
    }

    /** Revenue of one customer: shipped orders and their total. */
    public record CustomerRevenue(String customerId, long shippedOrders, long revenueCents) {
    }

    private final DataSource db;
    private final String prefix;

    public OrderSummaryQueries(DataSource db, String tablePrefix) {
        this.db = db;
        this.prefix = tablePrefix;
    }

    /** Orders per status, e.g. {@code SHIPPED -> 9500}, sorted by status. */
    public Map<String, Long> statusCounts() throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT status, COUNT(*) FROM " + prefix + "order_summary GROUP BY status");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** {@code OrderPlaced} events per schema version they were written with, e.g. {@code 1 -> 5000, 2 -> 5000}. */
    public Map<Integer, Long> ordersBySchemaVersion() throws SQLException {
        Map<Integer, Long> out = new TreeMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT placed_schema_version, COUNT(*) FROM " + prefix + "order_summary GROUP BY placed_schema_version");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getInt(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** The customers with the most revenue, highest first (ties by customer id). */
    public List<CustomerRevenue> topCustomers(int limit) throws SQLException {
        List<CustomerRevenue> out = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT customer_id, shipped_orders, revenue_cents FROM " + prefix + "customer_revenue "
                        + "ORDER BY revenue_cents DESC, customer_id")) {
            ps.setMaxRows(limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new CustomerRevenue(rs.getString(1), rs.getLong(2), rs.getLong(3)));
                }
            }
        }
        return out;
    }

    /** Revenue of every customer, by customer id. */
    public Map<String, Long> revenueByCustomer() throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (CustomerRevenue r : topCustomers(Integer.MAX_VALUE)) {
            out.put(r.customerId(), r.revenueCents());
        }
        return out;
    }

    /** One order, if the read model has it. */
    public Optional<OrderRow> order(String orderId) throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT order_id, customer_id, amount_cents, status, version, placed_schema_version, sales_channel FROM "
                        + prefix + "order_summary WHERE order_id = ?")) {
            ps.setString(1, orderId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    /** Every order's status, by order id. */
    public Map<String, String> statusByOrder() throws SQLException {
        Map<String, String> out = new java.util.HashMap<>();
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT order_id, status FROM " + prefix + "order_summary"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    private static OrderRow row(ResultSet rs) throws SQLException {
        return new OrderRow(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5),
                rs.getInt(6), rs.getString(7));
    }
}
