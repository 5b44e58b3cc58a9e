package io.tributary.schema;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.LogProducer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LogProducer} that checks schemas before anything reaches the log.
 *
 * <ul>
 *   <li>{@link #send} serializes an Avro value with an {@link AvroSerializer}; an unregistered schema (with
 *       auto-registration off) or an incompatible one fails the call and nothing is appended. The record gets the
 *       headers {@value StandardHeaders#CONTENT_TYPE} = {@value WireFormat#CONTENT_TYPE} and
 *       {@value StandardHeaders#SCHEMA_ID}.</li>
 *   <li>Topics marked <em>schema-required</em> accept only values in the {@link WireFormat} whose id the registry
 *       knows (tombstones are allowed): raw bytes such as JSON are refused with {@link SchemaErrors#SCHEMA_REQUIRED}.
 *       Other topics take any bytes, e.g. JSON events without a schema.</li>
 * </ul>
 *
 * <p>Thread-safe if the wrapped producer is. Ordering, durability and back-pressure are the wrapped producer's.
 * Closing this closes the wrapped producer.
 */
public final class SchemaEnforcingProducer implements LogProducer {

    private static final System.Logger LOG = System.getLogger(SchemaEnforcingProducer.class.getName());

    private final LogProducer delegate;
    private final AvroSerializer serializer;
    private final SchemaRegistryClient client;
    private final Set<String> schemaRequired;

    /**
     * @param delegate       the producer that writes
     * @param client         the registry ids are checked against
     * @param config         how {@link #send} serializes
     * @param schemaRequired topics whose values must be wire-format Avro
     */
    public SchemaEnforcingProducer(LogProducer delegate, SchemaRegistryClient client, AvroSerdeConfig config,
                                   Set<String> schemaRequired) {
        this.delegate = delegate;
        this.client = client;
        this.serializer = new AvroSerializer(client, config);
        this.schemaRequired = Set.copyOf(schemaRequired);
    }

    /** Whether {@code topic} is marked schema-required. */
    public boolean requiresSchema(String topic) {
        return schemaRequired.contains(topic);
    }

    /** Serializes {@code value} (a GenericRecord, SpecificRecord or primitive) and appends it with {@code key}. */
    public CompletableFuture<AppendResult> send(String topic, byte @Nullable [] key, Object value) {
        return send(topic, key, value, Headers.empty());
    }

    /** As {@link #send(String, byte[], Object)}, with extra headers. */
    public CompletableFuture<AppendResult> send(String topic, byte @Nullable [] key, Object value, Headers headers) {
        byte[] bytes = serializer.serialize(topic, value);
        int id = WireFormat.schemaId(bytes);
        List<Header> all = new ArrayList<>(headers.all());
        all.add(new Header(StandardHeaders.CONTENT_TYPE, WireFormat.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8)));
        all.add(new Header(StandardHeaders.SCHEMA_ID, Integer.toString(id).getBytes(StandardCharsets.UTF_8)));
        return delegate.append(topic, new Record(key, bytes, Headers.of(all), System.currentTimeMillis()));
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, Record record) {
        check(topic, record);
        return delegate.append(topic, record);
    }

    @Override
    public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
        check(topic, record);
        return delegate.append(topic, partition, record);
    }

    /**
     * The callback form: a record the schema checks refuse is told to {@code callback} on this thread before this
     * returns, with nothing appended; the rest go to the delegate's callback form, so a backend's cheaper path (Kafka:
     * no future per record) is kept.
     */
    @Override
    public void append(String topic, Record record, AppendCallback callback) {
        if (passes(topic, record, callback)) {
            delegate.append(topic, record, callback);
        }
    }

    /** As {@link #append(String, Record, AppendCallback)}, to an explicit partition. */
    @Override
    public void append(String topic, int partition, Record record, AppendCallback callback) {
        if (passes(topic, record, callback)) {
            delegate.append(topic, partition, record, callback);
        }
    }

    @Override
    public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
        records.forEach(r -> check(topic, r)); // all checked before any is written
        return delegate.appendAll(topic, records);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public void close() {
        delegate.close();
    }

    /**
     * Whether {@code record} passes {@link #check}; if not, {@code callback} is told why. What the callback throws is
     * logged, not thrown: the caller of the callback form was promised the callback, not a throw (as
     * {@link AppendCallback} says).
     */
    private boolean passes(String topic, Record record, AppendCallback callback) {
        Objects.requireNonNull(callback, "callback");
        try {
            check(topic, record);
            return true;
        } catch (TributaryException refused) {
            try {
                callback.onCompletion(null, refused);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "An AppendCallback threw on being told the error "
                        + refused.code() + "; ignored (a callback should not throw): " + e, e);
            }
            return false;
        }
    }

    private void check(String topic, Record record) {
        if (!schemaRequired.contains(topic) || record.isTombstone()) {
            return;
        }
        byte[] value = record.value();
        if (value == null || !WireFormat.looksLikeWireFormat(value)) {
            throw new InvalidRequestException(SchemaErrors.SCHEMA_REQUIRED, "Topic '" + topic + "' is schema-required,"
                    + " but this value is not in the schema registry wire format (magic byte 0 and a schema id)"
                    + (value != null && value.length > 0 && (value[0] == '{' || value[0] == '[') ? "; it looks like JSON"
                    : "") + ". Nothing was written. Serialize it with an Avro schema (send(topic, key, record)), or "
                    + "write schemaless events to a topic that is not schema-required");
        }
        int id = WireFormat.schemaId(value);
        try {
            client.avroSchemaById(id);
        } catch (NotFoundException e) {
            throw new InvalidRequestException(SchemaErrors.SCHEMA_REQUIRED, "Topic '" + topic + "' is schema-required,"
                    + " but the value names schema id " + id + ", which the registry does not hold. Nothing was "
                    + "written; serialize with a serializer connected to this registry", e);
        }
    }
}
