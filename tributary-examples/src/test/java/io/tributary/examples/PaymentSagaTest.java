package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.Direction;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.Orders;
import io.tributary.examples.orders.PaymentSaga;
import io.tributary.log.LogProducer;
import io.tributary.log.NewTopic;
import io.tributary.schema.AvroSerdeConfig;
import io.tributary.schema.AvroSerializer;
import io.tributary.schema.SchemaText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The saga on a real log, schema registry and event store. The payment events are all on the topic before the saga
 * starts, so up to 128 orders per partition are in flight at once.
 */
class PaymentSagaTest {

    private static final String ORDERS = "saga-orders";
    private static final String PAYMENTS = "saga-payments";

    @TempDir
    Path dir;

    private OrderFlowFixture flow;
    private Orders orders;
    private AvroSerializer serializer;

    @BeforeEach
    void open() throws Exception {
        flow = new OrderFlowFixture(dir, ORDERS, 2, 4);
        flow.log.admin().createTopic(NewTopic.of(PAYMENTS, 2));
        for (Schema s : List.of(EventSchemas.PAYMENT_SUCCEEDED, EventSchemas.PAYMENT_FAILED)) {
            flow.registry.register(EventSchemas.subject(PAYMENTS, s), SchemaText.avro(s.toString()));
        }
        orders = new Orders(flow.store, new OrderEventCodec(flow.registry, ORDERS));
        serializer = new AvroSerializer(flow.registry, AvroSerdeConfig.defaults().withAutoRegister(false)
                .withSubjectStrategy(io.tributary.schema.spi.SubjectNameStrategy.TOPIC_RECORD));
    }

    @AfterEach
    void close() throws Exception {
        flow.close();
    }

    @Test
    void appliesEachPaymentOutcomeOnceWhenEveryOutcomeIsDeliveredTwice() throws Exception {
        int n = 300;
        for (int i = 0; i < n; i++) {
            orders.place(new Order.Place(id(i), "c" + (i % 7), 1000 + i, "EUR", 1, "web"));
        }
        // Every outcome twice, the copy after all the others: the redelivery of everything after a crash.
        try (LogProducer producer = flow.log.producer()) {
            for (int copy = 0; copy < 2; copy++) {
                for (int i = 0; i < n; i++) {
                    producer.append(PAYMENTS, outcome(i)).join();
                }
            }
        }
        Set<String> confirmedIds = ConcurrentHashMap.newKeySet();
        List<String> confirmedTwice = new CopyOnWriteArrayList<>();
        try (PaymentSaga saga = PaymentSaga.start(flow.log, PaymentSaga.defaultConfig(PAYMENTS), orders, flow.registry,
                (orderId, placed, confirmedAt) -> {
                    if (!confirmedIds.add(orderId)) {
                        confirmedTwice.add(orderId);
                    }
                })) {
            // >= so that a repeat too many fails on the counts below instead of timing out here.
            await(() -> saga.repeats() >= n, "every outcome applied and every copy recognised as a repeat");
            assertThat(saga.confirmed()).isEqualTo(n - n / 3);
            assertThat(saga.cancelled()).isEqualTo(n / 3);
            assertThat(saga.repeats()).isEqualTo(n);
            assertThat(saga.refused()).isZero();
            assertThat(saga.processor().deadLetterDepth()).isZero();
        }
        assertThat(confirmedTwice).isEmpty();
        assertThat(confirmedIds).hasSize(n - n / 3);
        for (int i = 0; i < n; i++) {
            List<String> types = new ArrayList<>();
            for (RecordedEvent e : flow.store.readStream("order-" + id(i), Direction.FORWARD, 0, 10)) {
                types.add(e.type());
            }
            if (declined(i)) {
                assertThat(types).as(id(i)).containsExactly(EventSchemas.ORDER_PLACED,
                        EventSchemas.ORDER_CANCELLED_TYPE);
            } else {
                assertThat(types).as(id(i)).containsExactly(EventSchemas.ORDER_PLACED,
                        EventSchemas.PAYMENT_CONFIRMED_TYPE, EventSchemas.ORDER_SHIPPED_TYPE);
            }
        }
    }

    private static String id(int i) {
        return "o" + i;
    }

    private static boolean declined(int i) {
        return i % 3 == 0;
    }

    private Record outcome(int i) {
        Schema schema = declined(i) ? EventSchemas.PAYMENT_FAILED : EventSchemas.PAYMENT_SUCCEEDED;
        GenericRecord g = new GenericData.Record(schema);
        g.put("orderId", id(i));
        g.put("paymentId", "p" + i);
        if (declined(i)) {
            g.put("reason", "card limit");
        } else {
            g.put("amountCents", 1000L + i);
        }
        Headers headers = Headers.of(Header.ofString(StandardHeaders.EVENT_ID, UUID.randomUUID().toString()),
                Header.ofString(StandardHeaders.EVENT_TYPE, declined(i) ? EventSchemas.PAYMENT_FAILED_TYPE
                        : EventSchemas.PAYMENT_SUCCEEDED_TYPE));
        return Record.of(id(i).getBytes(StandardCharsets.UTF_8), serializer.serialize(PAYMENTS, g), headers);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
