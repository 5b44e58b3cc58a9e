package io.tributary.outbox.internal;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a failed JDBC statement or batch tells about itself, for error messages that name the event at fault without
 * repeating the driver's statement text: pgjdbc's {@link BatchUpdateException} message carries the whole statement
 * with its bound values (payloads hex-encoded), which is personal data and can be megabytes in a log line. Stateless.
 */
public final class JdbcFailure {

    /** H2 appends the statement to every message, from here on. */
    private static final String H2_STATEMENT = "; SQL statement:";

    /** pgjdbc's "Batch entry N ..." prefix; N is the index of the JDBC batch entry that failed. */
    private static final Pattern PGJDBC_ENTRY = Pattern.compile("^Batch entry (\\d+) ");

    private JdbcFailure() {
    }

    /**
     * The index (0-based) of the entry that failed in a batch of {@code size} entries, or -1 if the driver does not
     * tell. Update counts tell when the driver stopped at the failure (fewer counts than entries) or went on past it
     * (successes and {@link Statement#EXECUTE_FAILED} mixed). pgjdbc inside a transaction marks every entry failed, and
     * names the entry only in its message; that number is the entry only when pgjdbc did not rewrite the batch into
     * multi-row inserts ({@code reWriteBatchedInserts}), so {@code messageEntryIsOurs} must be true only for a
     * statement pgjdbc never rewrites (anything but {@code INSERT ... VALUES}).
     */
    public static int failedEntry(SQLException e, int size, boolean messageEntryIsOurs) {
        if (size == 1) {
            return 0;
        }
        if (!(e instanceof BatchUpdateException b)) {
            return -1;
        }
        int[] counts = b.getUpdateCounts();
        if (counts != null) {
            if (counts.length < size) {
                return counts.length;
            }
            int firstFailed = -1;
            boolean anyDone = false;
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] == Statement.EXECUTE_FAILED) {
                    firstFailed = firstFailed < 0 ? i : firstFailed;
                } else {
                    anyDone = true;
                }
            }
            if (firstFailed >= 0 && anyDone) {
                return firstFailed;
            }
        }
        if (messageEntryIsOurs && b.getMessage() != null) {
            Matcher m = PGJDBC_ENTRY.matcher(b.getMessage());
            if (m.find()) {
                try {
                    int entry = Integer.parseInt(m.group(1));
                    return entry < size ? entry : -1;
                } catch (NumberFormatException tooLong) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /**
     * The database's own reason for the failure, without the statement: for a batch, the message of the first
     * error in the chain ({@link SQLException#getNextException}, else the cause), since the batch exception's own
     * message may quote the statement with its values; otherwise the exception's message, without the statement H2
     * appends to it. Then SQLState and vendor
     * error code, which stay useful when the text is localised.
     */
    public static String reason(SQLException e) {
        String text = e.getMessage();
        if (e instanceof BatchUpdateException) {
            SQLException first = e.getNextException();
            if (first == null && e.getCause() instanceof SQLException cause) {
                first = cause;
            }
            text = first != null ? first.getMessage() : "the batch failed and the driver gave no further reason";
        }
        int statement = text == null ? -1 : text.indexOf(H2_STATEMENT);
        if (statement >= 0) {
            text = text.substring(0, statement);
        }
        return text + " (SQLState " + e.getSQLState() + ", error code " + e.getErrorCode() + ")";
    }
}
