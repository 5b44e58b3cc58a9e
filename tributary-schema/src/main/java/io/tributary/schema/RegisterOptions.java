package io.tributary.schema;

import java.util.OptionalInt;

/**
 * Options of a registration beyond the schema itself.
 *
 * @param normalize store the schema's canonical text instead of the text as sent (Confluent's {@code normalize=true})
 * @param id        the id to register under; only in {@link RegistryMode#IMPORT} mode
 * @param version   the version to register as; only in {@link RegistryMode#IMPORT} mode
 */
public record RegisterOptions(boolean normalize, OptionalInt id, OptionalInt version) {

    public static final RegisterOptions DEFAULT = new RegisterOptions(false, OptionalInt.empty(), OptionalInt.empty());

    /** A registration with a given id and version, for IMPORT mode. */
    public static RegisterOptions imported(int id, int version) {
        return new RegisterOptions(false, OptionalInt.of(id), OptionalInt.of(version));
    }
}
