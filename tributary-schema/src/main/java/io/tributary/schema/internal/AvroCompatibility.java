package io.tributary.schema.internal;

import io.tributary.schema.CompatibilityLevel;
import io.tributary.schema.Incompatibility;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * The compatibility check, as Confluent defines the levels, on Avro's reader/writer check
 * ({@link SchemaCompatibility#checkReaderWriterCompatibility}) and never on the older {@code SchemaValidator},
 * which accepts changes that break readers (removed enum symbols, renamed records).
 */
public final class AvroCompatibility {

    /** A registered version to compare with. */
    public record Previous(int version, Schema schema) {
    }

    private AvroCompatibility() {
    }

    /**
     * Every incompatibility of {@code candidate} with {@code previousNewestFirst} under {@code level}: non-transitive
     * levels look at the first (newest) entry only, transitive ones at all. Unlike Confluent, which stops at the
     * first failing version, this reports all of them, so one answer lists everything to fix.
     */
    public static List<Incompatibility> check(CompatibilityLevel level, Schema candidate,
                                              List<Previous> previousNewestFirst) {
        List<Incompatibility> found = new ArrayList<>();
        if (level == CompatibilityLevel.NONE || previousNewestFirst.isEmpty()) {
            return found;
        }
        List<Previous> compared = level.isTransitive() ? previousNewestFirst : previousNewestFirst.subList(0, 1);
        for (Previous p : compared) {
            if (level.checksBackward()) {
                found.addAll(pair(candidate, p.schema(), p.version(), "BACKWARD"));
            }
            if (level.checksForward()) {
                found.addAll(pair(p.schema(), candidate, p.version(), "FORWARD"));
            }
        }
        return found;
    }

    private static List<Incompatibility> pair(Schema reader, Schema writer, int version, String direction) {
        List<Incompatibility> out = new ArrayList<>();
        try {
            SchemaCompatibility.SchemaPairCompatibility result =
                    SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
            for (SchemaCompatibility.Incompatibility i : result.getResult().getIncompatibilities()) {
                out.add(new Incompatibility(i.getType().name(), i.getLocation(), i.getMessage(), version, direction));
            }
        } catch (RuntimeException e) {
            // Avro throws for e.g. a reader field whose aliases match several writer fields: not readable.
            out.add(new Incompatibility("UNEXPECTED_ERROR", "/", String.valueOf(e.getMessage()), version, direction));
        }
        return out;
    }
}
