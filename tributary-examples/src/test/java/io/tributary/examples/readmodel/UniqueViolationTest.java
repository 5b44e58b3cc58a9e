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
    void aDeadlockOrSerializationFailureIsAConflictButALockTimeoutIsNot() {
        // What MariaDB answers two batches inserting one new customer's revenue row (seen on MariaDB at 127.0.0.1).
        assertThat(OrderSummaryProjection.isLockConflict(new SQLException("Deadlock found", "40001", 1213))).isTrue();
        assertThat(OrderSummaryProjection.isLockConflict(new SQLException("deadlock detected", "40P01"))).isTrue();
        assertThat(OrderSummaryProjection.isLockConflict(new SQLException("serialization", "40001"))).isTrue();
        // A lock wait timeout leaves the transaction open on MariaDB: not a redo, a failure the processor retries.
        assertThat(OrderSummaryProjection.isLockConflict(new SQLException("Lock wait timeout", "HY000", 1205)))
                .isFalse();
        assertThat(OrderSummaryProjection.isLockConflict(new SQLException("dup", "23505"))).isFalse();
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
