package io.tributary.schema;

import java.util.List;
import java.util.Objects;

/**
 * A schema as registered: its type, its text and the references it needs to be parsed. What a schema id stands
 * for; immutable.
 *
 * @param schemaType {@code AVRO} (the only type this registry supports)
 * @param schema     the schema's JSON text
 * @param references the named types it uses from other subjects, in order
 */
public record SchemaText(String schemaType, String schema, List<SchemaReference> references) {

    /** The one schema type this registry stores. */
    public static final String AVRO = "AVRO";

    public SchemaText {
        Objects.requireNonNull(schemaType, "schemaType");
        Objects.requireNonNull(schema, "schema");
        references = List.copyOf(references);
    }

    /** An Avro schema without references. */
    public static SchemaText avro(String schema) {
        return new SchemaText(AVRO, schema, List.of());
    }
}
