package io.tributary.schema;

import java.util.Objects;

/**
 * A schema's use of a named type registered elsewhere: for Avro, {@code name} is the referenced type's full name
 * (e.g. {@code acme.Customer}) and the type is the schema registered under {@code subject} at {@code version}.
 *
 * @param name    the full name the referencing schema uses
 * @param subject the subject the referenced schema is registered under
 * @param version its version there, 1 or more
 */
public record SchemaReference(String name, String subject, int version) {

    public SchemaReference {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(subject, "subject");
    }
}
