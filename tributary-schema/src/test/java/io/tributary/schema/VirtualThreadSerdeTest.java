package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.schema.testmodel.OrderPlaced;
import io.tributary.schema.testmodel.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The serializer and deserializer called once per fresh virtual thread, as the demo's services call them: what they
 * build for a schema is built once and shared, not rebuilt per thread, and values stay right under concurrency.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VirtualThreadSerdeTest {

    private static final int CALLS = 2_000;

    /** A real in-memory registry that counts the calls the serde makes to it. */
    static final class CountingClient implements SchemaRegistryClient {
        final SchemaRegistry registry = SchemaRegistry.inMemory();
        final AtomicInteger registers = new AtomicInteger();
        final AtomicInteger schemaLookups = new AtomicInteger();

        @Override
        public int register(String subject, SchemaText schema) {
            registers.incrementAndGet();
            return registry.register(subject, schema);
        }

        @Override
        public Optional<RegisteredSchema> lookup(String subject, SchemaText schema) {
            return registry.lookup(subject, schema);
        }

        @Override
        public SchemaText schemaById(int id) {
            schemaLookups.incrementAndGet();
            return registry.schemaById(id);
        }

        @Override
        public Schema avroSchemaById(int id) {
            schemaLookups.incrementAndGet();
            return registry.avroSchemaById(id);
        }

        @Override
        public RegisteredSchema version(String subject, int version) {
            return registry.version(subject, version);
        }

        @Override
        public RegisteredSchema latest(String subject) {
            return registry.latest(subject);
        }

        @Override
        public CompatibilityResult testCompatibility(String subject, SchemaText schema) {
            return registry.testCompatibility(subject, schema);
        }

        @Override
        public CompatibilityLevel compatibility(String subject) {
            return registry.compatibility(subject);
        }

        @Override
        public List<String> subjects() {
            return registry.subjects();
        }

        @Override
        public List<Integer> versions(String subject) {
            return registry.versions(subject);
        }
    }

    private final CountingClient client = new CountingClient();
    private final AvroSerializer serializer = new AvroSerializer(client);
    private final AvroDeserializer deserializer = new AvroDeserializer(client);

    private static OrderPlaced order(int i) {
        return OrderPlaced.newBuilder().setOrderId("o-" + i).setAmountCents(100L + i).setQuantity(1 + i % 5)
                .setStatus(Status.NEW).build();
    }

    private static byte[] plainAvro(Schema schema, Object value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(value, enc);
        enc.flush();
        return out.toByteArray();
    }

    /** Runs {@code call(i)} for i in [0, CALLS), each on a virtual thread of its own, and returns the results. */
    private static <T> List<T> onFreshVirtualThreads(java.util.function.IntFunction<T> call) throws Exception {
        List<T> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                int n = i;
                futures.add(threads.submit(() -> call.apply(n)));
            }
            for (Future<T> f : futures) {
                results.add(f.get());
            }
        }
        return results;
    }

    @Test
    void serializingOnAFreshVirtualThreadPerCallReusesPooledEncodersAndRegistersOnce() throws Exception {
        serializer.serialize("orders", order(-1)); // the first value registers the schema

        List<byte[]> written = onFreshVirtualThreads(i -> serializer.serialize("orders", order(i)));

        assertThat(client.registers).hasValue(1);
        // Kept per thread, the encoding state was made once per call; pooled, about once per call running at once.
        // Not bounded by the pool's slots: a take can miss a state given back to a slot it already scanned.
        assertThat(serializer.encodeStatesMade()).isLessThan(CALLS / 10);
        for (int i = 0; i < CALLS; i++) {
            byte[] bytes = written.get(i);
            assertThat(Arrays.copyOfRange(bytes, WireFormat.HEADER_SIZE, bytes.length))
                    .as("value %d", i).isEqualTo(plainAvro(OrderPlaced.getClassSchema(), order(i)));
        }
    }

    @Test
    void deserializingOnAFreshVirtualThreadPerCallLooksTheWriterSchemaUpOnce() throws Exception {
        byte[] first = serializer.serialize("orders", order(-1));
        deserializer.deserialize(first, OrderPlaced.class); // builds and shares the reader
        deserializer.deserialize(first);
        int lookupsBefore = client.schemaLookups.get();
        List<byte[]> written = new ArrayList<>();
        for (int i = 0; i < CALLS; i++) {
            written.add(serializer.serialize("orders", order(i)));
        }

        List<Boolean> right = onFreshVirtualThreads(i -> order(i).equals(
                deserializer.deserialize(written.get(i), OrderPlaced.class))
                && ((GenericRecord) deserializer.deserialize(written.get(i))).get("orderId").toString()
                        .equals("o-" + i));

        assertThat(right).containsOnly(true);
        // Kept per thread, each call looked the writer schema up again (twice: specific and generic reader).
        assertThat(client.schemaLookups.get() - lookupsBefore).isZero();
    }

    @Test
    void aValueThatFailsHalfWayOnOneVirtualThreadLeavesNoBytesInAnyOther() throws Exception {
        // v1 (amountCents an int) registered first, as in a real upgrade: registered after OrderPlaced (a long) it is
        // refused as BACKWARD-incompatible, and which one the threads below registered first was up to the race.
        serializer.serialize("orders", SerdeTest.v1("o-first", 1));
        List<byte[]> written = onFreshVirtualThreads(i -> {
            if (i % 3 == 0) {
                GenericRecord broken = SerdeTest.v1("o-broken-" + i, i);
                broken.put("legacyCode", null); // fails after orderId and amountCents are encoded
                try {
                    serializer.serialize("orders", broken);
                } catch (io.tributary.core.InvalidRequestException expected) {
                    return new byte[0];
                }
                throw new AssertionError("a record with a null string field was serialized");
            }
            return serializer.serialize("orders", order(i));
        });

        for (int i = 0; i < CALLS; i++) {
            if (i % 3 != 0) {
                byte[] bytes = written.get(i);
                assertThat(Arrays.copyOfRange(bytes, WireFormat.HEADER_SIZE, bytes.length))
                        .as("value %d", i).isEqualTo(plainAvro(OrderPlaced.getClassSchema(), order(i)));
            }
        }
    }
}
