package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Decodes stored events, written with any earlier schema, into the current schema: the event store's upcasting hook.
 *
 * <p>Most changes need no code: Avro's schema resolution fills added fields from defaults, drops removed ones,
 * promotes types and follows aliases. For changes it cannot express (a field split in two, a unit changed, a value
 * computed from others), register a <em>step</em>: a function from a record in one old schema to a record in a
 * later one. When a stored event's writer schema matches a step's source (by Avro's parsing fingerprint, which
 * ignores docs, defaults and aliases), the event is decoded in that schema and the step applied; steps chain; the
 * result is then resolved into the current schema.
 *
 * <pre>{@code
 * EventUpcaster upcaster = EventUpcaster.builder(registry, OrderPlacedV3.SCHEMA)
 *         .step(orderPlacedV1, old -> splitName(old))   // v1 -> v2, by hand
 *         .build();                                      // v2 -> v3 by schema resolution
 * GenericRecord current = upcaster.upcast(storedBytes);
 * }</pre>
 *
 * <p>Immutable and thread-safe once built.
 */
public final class EventUpcaster {

    private record Step(Schema from, UnaryOperator<GenericRecord> migrate) {
    }

    private final SchemaRegistryClient client;
    private final Schema current;
    private final Map<Long, Step> steps;
    private final AvroDeserializer deserializer;

    private EventUpcaster(SchemaRegistryClient client, Schema current, Map<Long, Step> steps) {
        this.client = client;
        this.current = current;
        this.steps = Map.copyOf(steps);
        this.deserializer = new AvroDeserializer(client);
    }

    public static Builder builder(SchemaRegistryClient client, Schema current) {
        return new Builder(client, current);
    }

    /** Builds an {@link EventUpcaster}. Not thread-safe. */
    public static final class Builder {
        private final SchemaRegistryClient client;
        private final Schema current;
        private final Map<Long, Step> steps = new HashMap<>();

        private Builder(SchemaRegistryClient client, Schema current) {
            this.client = Objects.requireNonNull(client, "client");
            this.current = Objects.requireNonNull(current, "current");
        }

        /**
         * Migrates records of schema {@code from} by hand; {@code migrate} returns a record of a later schema (which
         * may itself be the source of another step).
         */
        public Builder step(Schema from, UnaryOperator<GenericRecord> migrate) {
            if (steps.put(SchemaNormalization.parsingFingerprint64(from), new Step(from, migrate)) != null) {
                throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Two upcasting steps start from "
                        + "schema " + from.getFullName() + " (same fingerprint); keep one");
            }
            return this;
        }

        public EventUpcaster build() {
            return new EventUpcaster(client, current, steps);
        }
    }

    /** The schema every event is upcast to. */
    public Schema current() {
        return current;
    }

    /** Decodes a stored event (wire format) into the current schema. */
    public GenericRecord upcast(byte[] stored) {
        if (steps.isEmpty()) {
            return (GenericRecord) Objects.requireNonNull(deserializer.deserialize(stored, current));
        }
        Schema writer = client.avroSchemaById(WireFormat.schemaId(stored));
        if (!steps.containsKey(SchemaNormalization.parsingFingerprint64(writer))) {
            return (GenericRecord) Objects.requireNonNull(deserializer.deserialize(stored, current));
        }
        return upcast((GenericRecord) Objects.requireNonNull(deserializer.deserialize(stored)));
    }

    /** Upcasts a record decoded with an older schema: steps first, then schema resolution. */
    public GenericRecord upcast(GenericRecord record) {
        GenericRecord r = record;
        for (int hops = 0; hops <= steps.size(); hops++) {
            Step step = steps.get(SchemaNormalization.parsingFingerprint64(r.getSchema()));
            if (step == null) {
                return resolve(r);
            }
            r = Objects.requireNonNull(step.migrate().apply(r), "an upcasting step returned null");
        }
        throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Upcasting steps loop (schema "
                + r.getSchema().getFullName() + " leads back to itself); make each step move to a later schema");
    }

    private GenericRecord resolve(GenericRecord r) {
        if (r.getSchema().equals(current)) {
            return r;
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(r.getSchema(), GenericData.get()).write(r, enc);
            enc.flush();
            return new GenericDatumReader<GenericRecord>(r.getSchema(), current, GenericData.get())
                    .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException | RuntimeException e) {
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot upcast a "
                    + r.getSchema().getFullName() + " record into the current schema: " + e + "; the current schema "
                    + "cannot read the old one (add defaults or aliases), or add an upcasting step", e);
        }
    }
}
