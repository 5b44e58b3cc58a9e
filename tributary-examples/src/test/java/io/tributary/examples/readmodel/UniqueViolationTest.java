package io.tributary.examples.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Which integrity errors the read model treats as a conflict with another writer (read again and redo the batch).
 * Regression: every SQLState of class 23 used to count, so a NOT NULL or CHECK violation was redone ten times and then
 * reported as "another writer keeps updating the read model".
 */
class UniqueViolationTest {

    @Test
    void aDuplicateKeyIsAConflictOnPostgresqlH2AndMariadb() {
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("dup", "23505"))).isTrue();
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("Duplicate entry", "23000", 1062)))
                .isTrue();
    }

    @Test
    void otherIntegrityErrorsAreNotConflicts() {
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("null", "23502"))).isFalse();
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("check", "23514"))).isFalse();
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("fk", "23503"))).isFalse();
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("MariaDB NOT NULL", "23000", 1048)))
                .isFalse();
        assertThat(OrderSummaryProjection.isUniqueViolation(new SQLException("no state"))).isFalse();
    }
}
