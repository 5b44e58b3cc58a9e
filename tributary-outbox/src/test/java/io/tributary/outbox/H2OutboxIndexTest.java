package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The H2 outbox's indexes: one per-key index serves every per-key access path (the claim's probe for a key's failed
 * row among them), so an outbox row costs no separate index of failed rows, which on H2 (no partial indexes) held
 * every row.
 */
class H2OutboxIndexTest {

    private final TestDatabase db = TestDatabase.H2;
    private OutboxTables tables;

    @BeforeEach
    void create() {
        tables = db.freshTables();
    }

    @AfterEach
    void drop() {
        db.drop(tables);
    }

    private List<String> indexColumns(Connection c) throws Exception {
        List<String> indexes = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT i.INDEX_NAME, LISTAGG(c.COLUMN_NAME, ',') WITHIN GROUP "
                + "(ORDER BY c.ORDINAL_POSITION) FROM INFORMATION_SCHEMA.INDEXES i JOIN INFORMATION_SCHEMA.INDEX_COLUMNS c "
                + "ON c.INDEX_NAME = i.INDEX_NAME AND c.TABLE_NAME = i.TABLE_NAME AND c.TABLE_SCHEMA = i.TABLE_SCHEMA "
                + "WHERE i.TABLE_NAME = ? AND i.INDEX_TYPE_NAME <> 'PRIMARY KEY' GROUP BY i.INDEX_NAME "
                + "ORDER BY i.INDEX_NAME")) {
            ps.setString(1, tables.outbox().toUpperCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    indexes.add(rs.getString(2));
                }
            }
        }
        return indexes;
    }

    private static String plan(Connection c, String sql, Object... params) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1).toUpperCase(Locale.ROOT);
            }
        }
    }

    /** The conditions H2's plan looks up in {@code index} (the comment after its name), or "" if it does not use it. */
    private static String conditions(String plan, String index) {
        int at = plan.indexOf(index + ":");
        return at < 0 ? "" : plan.substring(at, plan.indexOf("*/", at));
    }

    @Test
    void keepsOnePerKeyIndexAndNoSeparateIndexOfFailedRows() throws Exception {
        try (Connection c = db.dataSource().getConnection()) {
            assertThat(indexColumns(c)).containsExactlyInAnyOrder("EVENT_ID", "STATUS,ID", "MSG_KEY,STATUS,KEY_SEQ");
        }
    }

    @Test
    void probesAKeysFailedRowAndDefersItsPendingRowsThroughThePerKeyIndex() throws Exception {
        OutboxSql sql = new OutboxSql(OutboxDialect.H2, tables);
        String byKey = (tables.outbox() + "_by_key").toUpperCase(Locale.ROOT);
        try (Connection c = db.dataSource().getConnection()) {
            String claim = plan(c, sql.claim, 1L, 500);
            // the probe inside NOT EXISTS looks the key's failed rows up in the per-key index, not by a scan
            assertThat(conditions(claim.substring(claim.indexOf("NOT EXISTS")), byKey))
                    .contains("STATUS = 2").contains("MSG_KEY = ");
            byte[] key = {1, 2, 3};
            assertThat(conditions(plan(c, sql.deferKeyBehind, 5L, key, 3L, 5L), byKey))
                    .contains("MSG_KEY = ").contains("STATUS = 0").contains("KEY_SEQ > ");
        }
    }

    @Test
    void theIdSequenceCaches1024ValuesSoItWritesItsStateOncePer1024RowsNotEvery32() throws Exception {
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT IDENTITY_CACHE FROM INFORMATION_SCHEMA.COLUMNS "
                     + "WHERE TABLE_NAME = ? AND COLUMN_NAME = 'ID'")) {
            ps.setString(1, tables.outbox().toUpperCase(Locale.ROOT));
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).isEqualTo(1024);
            }
        }
    }
}
