package io.tributary.schema.spi;

import io.tributary.core.InvalidRequestException;
import io.tributary.schema.SchemaErrors;
import org.apache.avro.Schema;

/**
 * Maps a topic and a value's schema to the subject its schema is registered and checked under, as Confluent's
 * serializers do. Implementations must be stateless and thread-safe, and return the same subject for the same
 * arguments (serializers cache by topic and schema).
 */
@FunctionalInterface
public interface SubjectNameStrategy {

    /** {@code <topic>-key} / {@code <topic>-value}: one lineage of schemas per topic (Confluent's default). */
    SubjectNameStrategy TOPIC = (topic, isKey, schema) -> topic + (isKey ? "-key" : "-value");

    /**
     * The record's full name: one lineage per record type across all topics, so a topic may carry several types.
     */
    SubjectNameStrategy RECORD = (topic, isKey, schema) -> recordName(schema);

    /** {@code <topic>-<record full name>}: one lineage per type per topic. */
    SubjectNameStrategy TOPIC_RECORD = (topic, isKey, schema) -> topic + "-" + recordName(schema);

    /** The subject for a value of {@code schema} written to {@code topic}, as a key or as a value. */
    String subject(String topic, boolean isKey, Schema schema);

    private static String recordName(Schema schema) {
        if (schema.getType() != Schema.Type.RECORD) {
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "The record name strategies need a "
                    + "record schema, but the value's schema is " + schema.getType() + "; use the topic name "
                    + "strategy for non-record values");
        }
        return schema.getFullName();
    }
}
