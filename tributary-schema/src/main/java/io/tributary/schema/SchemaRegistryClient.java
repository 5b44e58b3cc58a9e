package io.tributary.schema;

import io.tributary.schema.internal.AvroSchemas;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * What serializers and applications need from a schema registry. Two implementations: {@link SchemaRegistry} in the
 * same process, and {@link HttpSchemaRegistryClient} over the REST API (Tributary's or Confluent's).
 *
 * <p>Implementations are thread-safe. Errors are {@link io.tributary.core.TributaryException}s with the codes of
 * {@link SchemaErrors}: e.g. {@link IncompatibleSchemaException} when registering breaks the subject's level.
 */
public interface SchemaRegistryClient {

    /**
     * Registers a schema under a subject, or finds it if the same schema (after normalization) is already a
     * non-deleted version there, and returns its id.
     */
    int register(String subject, SchemaText schema);

    /** Registers an Avro schema without references. */
    default int register(String subject, Schema schema) {
        return register(subject, SchemaText.avro(schema.toString()));
    }

    /** The non-deleted version of {@code subject} holding this schema, if any. */
    Optional<RegisteredSchema> lookup(String subject, SchemaText schema);

    /** The schema an id stands for ({@link SchemaErrors#SCHEMA_NOT_FOUND} if none). Ids never change meaning. */
    SchemaText schemaById(int id);

    /** The parsed schema of an id, with references resolved. Implementations cache it. */
    Schema avroSchemaById(int id);

    /** One version of a subject (soft-deleted versions included, as references may point at them). */
    RegisteredSchema version(String subject, int version);

    /** The latest non-deleted version of a subject. */
    RegisteredSchema latest(String subject);

    /**
     * Tests a schema against the subject's versions under its effective compatibility level, as registering would,
     * without registering.
     */
    CompatibilityResult testCompatibility(String subject, SchemaText schema);

    /** The compatibility level in force for a subject: its own, else the registry's, else BACKWARD. */
    CompatibilityLevel compatibility(String subject);

    /** Subjects with at least one non-deleted version, sorted. */
    List<String> subjects();

    /** Non-deleted version numbers of a subject, ascending. */
    List<Integer> versions(String subject);

    /** Parses a schema, fetching its references from this registry. */
    default Schema parse(SchemaText schema) {
        return AvroSchemas.parse(schema, (s, v) -> version(s, v).text());
    }
}
