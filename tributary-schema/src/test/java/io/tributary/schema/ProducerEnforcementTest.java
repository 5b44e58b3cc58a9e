package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import io.tributary.schema.testmodel.OrderPlaced;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producing through the schema checks into the real embedded log: refused values never reach it, accepted ones are
 * read back (and evolved) by consumers.
 */
@Tag("slow")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProducerEnforcementTest {

    @TempDir
    Path dir;

    private EventLog log;
    private SchemaRegistry registry;

    @BeforeEach
    void open() {
        log = EventLogs.open(Map.of("tributary.log.backend", "embedded", "tributary.log.embedded.data-dir",
                dir.toString()));
        log.admin().createTopic(NewTopic.of("orders", 1));
        log.admin().createTopic(NewTopic.of("clicks", 1));
        registry = SchemaRegistry.open(log);
    }

    @AfterEach
    void close() {
        registry.close();
        log.close();
    }

    private long recordsIn(String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogConsumer c = log.consumer(io.tributary.log.ConsumerConfig.defaults())) {
            return c.endOffsets(Set.of(tp)).get(tp);
        }
    }

    private List<LogRecord> readAll(String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<LogRecord> out = new ArrayList<>();
        try (LogConsumer c = log.consumer(io.tributary.log.ConsumerConfig.defaults())) {
            c.assign(List.of(tp));
            long end = c.endOffsets(Set.of(tp)).get(tp);
            while (c.position(tp) < end) {
                out.addAll(c.poll(Duration.ofMillis(200)));
            }
        }
        return out;
    }

    private static GenericRecord withoutDefault() {
        // OrderPlaced with a new required field: v2 cannot read v1 data (no default), so BACKWARD refuses it
        Schema s = new Schema.Parser().parse(SerdeTest.ORDER_V1.toString().replace("\"fields\":[",
                "\"fields\":[{\"name\":\"region\",\"type\":\"string\"},"));
        GenericRecord r = new GenericData.Record(s);
        GenericRecord base = SerdeTest.v1("o-9", 5);
        base.getSchema().getFields().forEach(f -> r.put(f.name(), base.get(f.name())));
        r.put("region", "eu");
        return r;
    }

    @Test
    void anIncompatibleSchemaIsRefusedBeforeAnythingIsWritten() throws Exception {
        try (SchemaEnforcingProducer producer = new SchemaEnforcingProducer(log.producer(), registry,
                AvroSerdeConfig.defaults(), Set.of("orders"))) {
            producer.send("orders", "o-1".getBytes(StandardCharsets.UTF_8), SerdeTest.v1("o-1", 10)).get();
            assertThat(recordsIn("orders")).isEqualTo(1);

            assertThatThrownBy(() -> producer.send("orders", null, withoutDefault()))
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("orders-value").hasMessageContaining("BACKWARD")
                    .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE").hasMessageContaining("region");
            assertThat(recordsIn("orders")).isEqualTo(1);
            assertThat(registry.versions("orders-value")).containsExactly(1);
        }
    }

    @Test
    void withAutoRegistrationOffAnUnregisteredSchemaIsRefused() {
        try (SchemaEnforcingProducer producer = new SchemaEnforcingProducer(log.producer(), registry,
                AvroSerdeConfig.defaults().withAutoRegister(false), Set.of())) {
            assertThatThrownBy(() -> producer.send("orders", null, SerdeTest.v1("o-1", 10)))
                    .satisfies(e -> assertThat(((TributaryException) e).code())
                            .isEqualTo(SchemaErrors.SCHEMA_NOT_REGISTERED))
                    .hasMessageContaining("orders-value").hasMessageContaining("BACKWARD");
            registry.register("orders-value", SerdeTest.ORDER_V1);
            registry.setSubjectCompatibility("orders-value", CompatibilityLevel.FULL);
            assertThatThrownBy(() -> producer.send("orders", null, withoutDefault()))
                    .isInstanceOf(IncompatibleSchemaException.class)
                    .hasMessageContaining("orders-value").hasMessageContaining("FULL")
                    .hasMessageContaining("region");
            assertThat(recordsIn("orders")).isZero();
        }
    }

    @Test
    void schemaRequiredTopicsRefuseJsonWhileOtherTopicsTakeIt() throws Exception {
        byte[] json = "{\"page\":\"/home\"}".getBytes(StandardCharsets.UTF_8);
        try (SchemaEnforcingProducer producer = new SchemaEnforcingProducer(log.producer(), registry,
                AvroSerdeConfig.defaults(), Set.of("orders"))) {
            assertThat(producer.requiresSchema("orders")).isTrue();
            assertThatThrownBy(() -> producer.append("orders", Record.of(null, json)))
                    .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SCHEMA_REQUIRED))
                    .hasMessageContaining("'orders'").hasMessageContaining("JSON");
            assertThatThrownBy(() -> producer.append("orders", Record.of(null, new byte[] {0, 0, 0, 0, 99, 2})))
                    .hasMessageContaining("schema id 99");
            assertThatThrownBy(() -> producer.appendAll("orders", List.of(Record.of(null, new byte[] {0, 0, 0, 0, 99}),
                    Record.of(null, json)))).isInstanceOf(TributaryException.class);
            assertThat(recordsIn("orders")).isZero();

            producer.append("clicks", Record.of(null, json)).get();
            producer.append("orders", Record.of("o-1".getBytes(StandardCharsets.UTF_8), null)).get(); // tombstone
            byte[] avro = new AvroSerializer(registry).serialize("orders", SerdeTest.v1("o-2", 3));
            producer.append("orders", Record.of(null, avro)).get();
            assertThat(recordsIn("clicks")).isEqualTo(1);
            assertThat(recordsIn("orders")).isEqualTo(2);
        }
    }

    /** Forwards to a real producer, counting which append form was called, to show a wrapper keeps the callback form. */
    static final class FormCountingProducer implements LogProducer {
        final LogProducer delegate;
        final AtomicInteger futureAppends = new AtomicInteger();
        final AtomicInteger callbackAppends = new AtomicInteger();

        FormCountingProducer(LogProducer delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletableFuture<AppendResult> append(String topic, Record record) {
            futureAppends.incrementAndGet();
            return delegate.append(topic, record);
        }

        @Override
        public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
            futureAppends.incrementAndGet();
            return delegate.append(topic, partition, record);
        }

        @Override
        public void append(String topic, Record record, AppendCallback callback) {
            callbackAppends.incrementAndGet();
            delegate.append(topic, record, callback);
        }

        @Override
        public void append(String topic, int partition, Record record, AppendCallback callback) {
            callbackAppends.incrementAndGet();
            delegate.append(topic, partition, record, callback);
        }

        @Override
        public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
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
    }

    private static AppendCallback completing(CompletableFuture<AppendResult> f) {
        return (result, error) -> {
            if (error != null) {
                f.completeExceptionally(error);
            } else {
                f.complete(result);
            }
        };
    }

    @Test
    void theCallbackFormToldARefusalOnTheCallingThreadAndForwardsTheRestToTheDelegatesCallbackForm() throws Exception {
        byte[] json = "{\"page\":\"/home\"}".getBytes(StandardCharsets.UTF_8);
        FormCountingProducer delegate = new FormCountingProducer(log.producer());
        try (SchemaEnforcingProducer producer = new SchemaEnforcingProducer(delegate, registry,
                AvroSerdeConfig.defaults(), Set.of("orders"))) {
            List<TributaryException> refused = new CopyOnWriteArrayList<>();
            List<String> threads = new CopyOnWriteArrayList<>();
            AppendCallback throwingOnRefusal = (result, error) -> {
                if (error != null) {
                    refused.add(error);
                    threads.add(Thread.currentThread().getName());
                    throw new IllegalStateException("this test's callback throws on purpose");
                }
            };
            producer.append("orders", Record.of(null, json), throwingOnRefusal);
            producer.append("orders", 0, Record.of(null, new byte[] {0, 0, 0, 0, 99, 2}), throwingOnRefusal);
            assertThat(refused).as("told before append returned, neither thrown").hasSize(2);
            assertThat(refused).extracting(TributaryException::code).containsOnly(SchemaErrors.SCHEMA_REQUIRED);
            assertThat(refused.get(0)).hasMessageContaining("'orders'").hasMessageContaining("JSON");
            assertThat(refused.get(1)).hasMessageContaining("schema id 99");
            assertThat(threads).containsOnly(Thread.currentThread().getName());

            CompletableFuture<AppendResult> click = new CompletableFuture<>();
            CompletableFuture<AppendResult> order = new CompletableFuture<>();
            producer.append("clicks", Record.of(null, json), completing(click));
            byte[] avro = new AvroSerializer(registry).serialize("orders", SerdeTest.v1("o-2", 3));
            producer.append("orders", 0, Record.of(null, avro), completing(order));
            assertThat(click.get(10, TimeUnit.SECONDS).offset()).isZero();
            assertThat(order.get(10, TimeUnit.SECONDS).offset()).isZero();
            assertThat(delegate.callbackAppends).as("accepted appends kept the callback form").hasValue(2);
            assertThat(delegate.futureAppends).as("none went through a future").hasValue(0);
            assertThat(recordsIn("clicks")).isEqualTo(1);
            assertThat(recordsIn("orders")).isEqualTo(1);
        }
    }

    @Test
    void aConsumerReadsEventsOfEveryVersionIntoItsOwnSchema() throws Exception {
        try (SchemaEnforcingProducer producer = new SchemaEnforcingProducer(log.producer(), registry,
                AvroSerdeConfig.defaults(), Set.of("orders"))) {
            producer.send("orders", null, SerdeTest.v1("old", 100)).get();
            producer.send("orders", null, OrderPlaced.newBuilder().setOrderId("new").setAmountCents(200L)
                    .setQuantity(2).setStatus(io.tributary.schema.testmodel.Status.NEW).build()).get();
        }
        AvroDeserializer deserializer = new AvroDeserializer(registry);
        List<LogRecord> records = readAll("orders");
        assertThat(records).hasSize(2);
        assertThat(records.get(0).headers().lastString(StandardHeaders.CONTENT_TYPE)).contains(WireFormat.CONTENT_TYPE);
        assertThat(records.get(0).headers().lastString(StandardHeaders.SCHEMA_ID)).contains("1");
        List<OrderPlaced> read = records.stream().map(r -> deserializer.deserialize(r.value(), OrderPlaced.class))
                .toList();
        assertThat(read).extracting(OrderPlaced::getOrderId).containsExactly("old", "new");
        assertThat(read).extracting(OrderPlaced::getQuantity).containsExactly(1, 2);
        assertThat(read).extracting(OrderPlaced::getAmountCents).containsExactly(100L, 200L);
    }
}
