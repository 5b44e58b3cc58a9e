package io.tributary.schema;

import io.tributary.schema.spi.SubjectNameStrategy;
import java.util.Objects;

/**
 * Settings of an {@link AvroSerializer}. Immutable.
 *
 * @param autoRegister    register a value's schema on first use (default {@code true}, as Confluent's
 *                        {@code auto.register.schemas}); when {@code false} the schema must already be registered,
 *                        or serializing fails before anything is written
 * @param subjectStrategy how topic and schema map to a subject; default {@link SubjectNameStrategy#TOPIC}
 * @param key             whether the serializer writes record keys ({@code -key} subjects) rather than values
 */
public record AvroSerdeConfig(boolean autoRegister, SubjectNameStrategy subjectStrategy, boolean key) {

    public AvroSerdeConfig {
        Objects.requireNonNull(subjectStrategy, "subjectStrategy");
    }

    public static AvroSerdeConfig defaults() {
        return new AvroSerdeConfig(true, SubjectNameStrategy.TOPIC, false);
    }

    public AvroSerdeConfig withAutoRegister(boolean v) {
        return new AvroSerdeConfig(v, subjectStrategy, key);
    }

    public AvroSerdeConfig withSubjectStrategy(SubjectNameStrategy v) {
        return new AvroSerdeConfig(autoRegister, v, key);
    }

    public AvroSerdeConfig forKeys() {
        return new AvroSerdeConfig(autoRegister, subjectStrategy, true);
    }
}
