package io.tributary.schema;

import io.tributary.core.ConflictException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A schema was refused because it breaks its subject's compatibility level. The message names the subject, the level
 * and every incompatibility with its location; REST: HTTP 409, {@code error_code} 40901.
 */
public final class IncompatibleSchemaException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final String subject;
    private final CompatibilityLevel level;
    private final Incompatibility[] incompatibilities;

    public IncompatibleSchemaException(String subject, CompatibilityLevel level, List<Incompatibility> incompatibilities) {
        super(SchemaErrors.INCOMPATIBLE_SCHEMA, message(subject, level, incompatibilities));
        this.subject = subject;
        this.level = level;
        this.incompatibilities = incompatibilities.toArray(Incompatibility[]::new);
    }

    private static String message(String subject, CompatibilityLevel level, List<Incompatibility> found) {
        return "Schema being registered is incompatible with an earlier schema for subject \"" + subject
                + "\" (compatibility level " + level + "), details: ["
                + found.stream().map(Incompatibility::describe).collect(Collectors.joining(", "))
                + "]. Make the change compatible (e.g. give new fields a default), or change the level with "
                + "PUT /config/" + subject + ".";
    }

    public String subject() {
        return subject;
    }

    public CompatibilityLevel level() {
        return level;
    }

    /** Every incompatibility found, in the order found (newest compared version first). */
    public List<Incompatibility> incompatibilities() {
        return List.of(incompatibilities);
    }
}
