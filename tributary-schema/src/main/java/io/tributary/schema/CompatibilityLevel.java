package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The rule a new version of a subject must keep, exactly as Confluent Schema Registry defines them. "Backward" means
 * the new schema can read data written with the old; "forward" means the old schema can read data written with the
 * new. Non-transitive levels compare with the latest non-deleted version only; transitive ones with every
 * non-deleted version.
 */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    /** The level used when neither the subject nor the registry sets one, as in Confluent. */
    public static final CompatibilityLevel DEFAULT = BACKWARD;

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** Whether the new schema must read data written with earlier versions. */
    public boolean checksBackward() {
        return backward;
    }

    /** Whether earlier versions must read data written with the new schema. */
    public boolean checksForward() {
        return forward;
    }

    /** Whether every earlier non-deleted version is compared, not only the latest. */
    public boolean isTransitive() {
        return transitive;
    }

    /**
     * Parses a level name, case-insensitively.
     *
     * @throws InvalidRequestException ({@link SchemaErrors#INVALID_COMPATIBILITY_LEVEL}) naming the valid levels
     */
    public static CompatibilityLevel parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level '"
                    + name + "'; use one of " + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
        }
    }
}
