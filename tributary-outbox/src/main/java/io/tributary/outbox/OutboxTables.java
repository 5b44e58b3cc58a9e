package io.tributary.outbox;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The table names the outbox and inbox use. The key-sequence table is {@code <outbox>_key}; on PostgreSQL the
 * relay's NOTIFY channel is {@code <outbox>}.
 *
 * @param outbox outbox table, default {@code tributary_outbox}
 * @param inbox  inbox table, default {@code tributary_inbox}
 */
public record OutboxTables(String outbox, String inbox) {

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,49}");

    public OutboxTables {
        List<String> problems = new ArrayList<>();
        if (!NAME.matcher(outbox).matches()) {
            problems.add("outbox table '" + outbox + "'");
        }
        if (!NAME.matcher(inbox).matches()) {
            problems.add("inbox table '" + inbox + "'");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid table name(s): " + String.join(", ", problems)
                    + "; use lower-case letters, digits and '_', at most 50 characters, e.g. 'orders_outbox'.");
        }
    }

    public static OutboxTables defaults() {
        return new OutboxTables("tributary_outbox", "tributary_inbox");
    }

    /** The key-sequence table. */
    public String keys() {
        return outbox + "_key";
    }
}
