package io.tributary.schema;

import java.util.List;
import java.util.Objects;

/**
 * One version of a subject: what {@code GET /subjects/{subject}/versions/{version}} returns. Immutable.
 *
 * @param subject    the subject
 * @param version    its version number under the subject, from 1
 * @param id         the registry-wide schema id (the same schema under several subjects shares one id)
 * @param schemaType {@code AVRO}
 * @param schema     the schema text as stored
 * @param references the references needed to parse it
 * @param deleted    whether the version is soft-deleted
 */
public record RegisteredSchema(String subject, int version, int id, String schemaType, String schema,
                               List<SchemaReference> references, boolean deleted) {

    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schemaType, "schemaType");
        Objects.requireNonNull(schema, "schema");
        references = List.copyOf(references);
    }

    /** The schema without its place in a subject. */
    public SchemaText text() {
        return new SchemaText(schemaType, schema, references);
    }
}
