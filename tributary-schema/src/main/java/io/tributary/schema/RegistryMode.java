package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What writes a subject (or the whole registry) accepts, as in Confluent Schema Registry.
 */
public enum RegistryMode {
    /** Normal operation: new versions are registered after the compatibility check. */
    READWRITE,
    /** No registrations, deletions or config changes; reads only. */
    READONLY,
    /** Like {@link #READONLY}; kept for API compatibility with Confluent (which lets config changes through). */
    READONLY_OVERRIDE,
    /**
     * Migration from another registry: registrations must name their id (and may name their version), and skip the
     * compatibility check so a registry's history can be copied verbatim.
     */
    IMPORT;

    /** The mode when none is set. */
    public static final RegistryMode DEFAULT = READWRITE;

    /** Parses a mode name, case-insensitively; {@link SchemaErrors#INVALID_MODE} naming the valid ones otherwise. */
    public static RegistryMode parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_MODE, "Invalid mode '" + name + "'; use one of "
                    + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
        }
    }
}
