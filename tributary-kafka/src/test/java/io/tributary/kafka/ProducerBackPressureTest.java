package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.EventLog;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A producer holds at most {@code bufferMemoryBytes} of unacknowledged records; when the brokers are slower than the
 * appends, {@code append} waits {@code maxBlock} and then fails with the retriable {@code PRODUCER_BUFFER_FULL}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProducerBackPressureTest {

    @Test
    void failsWithARetriableBufferFullErrorAfterMaxBlockWhenTheBrokerIsSlowerThanTheAppends() throws Exception {
        String clientId = unique("throttled");
        // The broker throttles this client to 2 KiB/s: acknowledgements trickle, the 16 KiB buffer fills.
        throttle(clientId, 2048.0);
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("back-pressure");
            log.admin().createTopic(NewTopic.of(topic, 1));
            ProducerConfig config = ProducerConfig.defaults().withClientId(clientId).withBufferMemoryBytes(16 * 1024)
                    .withMaxBlock(Duration.ofMillis(300)).withProperties(Map.of("batch.size", "2048"));
            try (LogProducer p = log.producer(config)) {
                try {
                    RetriableException full = null;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (full == null && System.nanoTime() < deadline) {
                        try {
                            p.append(topic, Record.of(null, new byte[1024]));
                        } catch (RetriableException e) {
                            full = e;
                        }
                    }
                    assertThat(full).as("an append failed once the buffer stayed full").isNotNull();
                    assertThat(full.code()).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                    assertThat(full.isRetriable()).isTrue();
                    assertThat(full.getMessage()).contains("maxBlock=300 ms", "bufferMemoryBytes");
                } finally {
                    // Also when an assertion failed: close() then flushes the buffered records at full speed, and
                    // the quota does not outlive the test on the shared broker.
                    throttle(clientId, null);
                }
            }
        }
    }

    /**
     * The callback form's buffer full is the one refusal that reaches our callback through Kafka itself (inside
     * {@code send()}, on the appending thread): the message must state the timeout that applied, maxBlock, not the
     * delivery timeout (120000 ms) of a queued record. The callback throws, as a careless one might: append must not
     * throw, and the callback must be told once, not again by a catch around {@code send()}.
     */
    @Test
    void tellsTheCallbackOnceOfABufferFullOnTheAppendingThreadNamingMaxBlockEvenWhenItThrows() throws Exception {
        String clientId = unique("throttled-callback");
        throttle(clientId, 2048.0);
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("back-pressure-callback");
            log.admin().createTopic(NewTopic.of(topic, 1));
            ProducerConfig config = ProducerConfig.defaults().withClientId(clientId).withBufferMemoryBytes(16 * 1024)
                    .withMaxBlock(Duration.ofMillis(300)).withProperties(Map.of("batch.size", "2048"));
            List<TributaryException> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<String> refusalThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            AppendCallback throwing = (result, error) -> {
                calls.incrementAndGet();
                if (error != null) {
                    refusals.add(error);
                    refusalThreads.add(Thread.currentThread().getName());
                }
                throw new IllegalStateException("this test's callback throws on purpose");
            };
            int appends = 0;
            try (LogProducer p = log.producer(config)) {
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (refusals.isEmpty() && System.nanoTime() < deadline) {
                        appends++;
                        assertThatCode(() -> p.append(topic, Record.of(null, new byte[1024]), throwing))
                                .as("what a callback throws is not append's").doesNotThrowAnyException();
                    }
                    assertThat(refusals).as("the refusal was told before append returned").hasSize(1);
                    TributaryException full = refusals.getFirst();
                    assertThat(full.code()).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                    assertThat(full.isRetriable()).isTrue();
                    assertThat(full.getMessage()).contains("maxBlock=300 ms", "bufferMemoryBytes")
                            .doesNotContain("120000");
                    assertThat(refusalThreads).containsExactly(Thread.currentThread().getName());
                } finally {
                    throttle(clientId, null); // also when an assertion failed
                }
            }
            // close() flushed: every append was told exactly once, the refused one included.
            assertThat(calls.get()).as("callbacks of %d appends", appends).isEqualTo(appends);
            assertThat(refusals).as("no refusal told twice").hasSize(1);
        }
    }

    @Test
    void appendAllFailsWithTheSameBufferFullErrorWhenARecordCannotBeBufferedInTime() throws Exception {
        String clientId = unique("throttled-all");
        throttle(clientId, 2048.0);
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("back-pressure-all");
            log.admin().createTopic(NewTopic.of(topic, 1));
            ProducerConfig config = ProducerConfig.defaults().withClientId(clientId).withBufferMemoryBytes(16 * 1024)
                    .withMaxBlock(Duration.ofMillis(300)).withProperties(Map.of("batch.size", "2048"));
            List<Record> eight = java.util.Collections.nCopies(8, Record.of(null, new byte[1024]));
            try (LogProducer p = log.producer(config)) {
                try {
                    RetriableException full = null;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (full == null && System.nanoTime() < deadline) {
                        try {
                            p.appendAll(topic, eight);
                        } catch (RetriableException e) {
                            full = e;
                        }
                    }
                    assertThat(full).as("an appendAll failed once the buffer stayed full").isNotNull();
                    assertThat(full.code()).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                    assertThat(full.getMessage()).contains("maxBlock=300 ms", "bufferMemoryBytes", topic);
                    // Which record of the eight found the buffer full depends on timing; the error says which, and
                    // whether a retry of the whole call would store the ones before it twice.
                    java.util.regex.Matcher sent = java.util.regex.Pattern
                            .compile("Records 0\\.\\.(\\d) of the list \\((\\d) of 8\\) were sent to topic '" + topic
                                    + "' and may be stored; retrying the call would duplicate them: retry with records "
                                    + "(\\d)\\.\\.7 only\\.").matcher(full.getMessage());
                    if (sent.find()) {
                        assertThat(Integer.parseInt(sent.group(1)) + 1).isEqualTo(Integer.parseInt(sent.group(2)))
                                .isEqualTo(Integer.parseInt(sent.group(3))).isBetween(1, 7);
                    } else {
                        assertThat(full.getMessage()).as("the first record found the buffer full")
                                .contains("No record of the list was sent to topic '" + topic + "'");
                    }
                } finally {
                    throttle(clientId, null); // also when an assertion failed
                }
            }
        }
    }

    /**
     * An append made on Kafka's I/O thread (inside an {@link AppendCallback}, or a dependent stage of a future Kafka
     * completed) whose {@code send()} finds the buffer full fails there, on a thread named like the I/O thread: the
     * error must still quote maxBlock, not the delivery timeout (120000 ms) of a queued record. Deterministic: the
     * first record's batch takes the whole 16 KiB buffer, and Kafka gives that memory back only after the batch's
     * callbacks ran, on the very thread that is waiting for it; so every append from the callback waits maxBlock and
     * fails, without throttling.
     */
    @Test
    void namesMaxBlockForABufferFullOfAnAppendMadeOnKafkasIoThreadInsideACallback() throws Exception {
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("back-pressure-io-thread");
            log.admin().createTopic(NewTopic.of(topic, 1));
            ProducerConfig config = ProducerConfig.defaults().withBufferMemoryBytes(16 * 1024)
                    .withMaxBlock(Duration.ofMillis(200)).withProperties(Map.of("batch.size", "16384"));
            try (LogProducer p = log.producer(config)) {
                java.util.concurrent.CompletableFuture<Map<String, Throwable>> inside =
                        new java.util.concurrent.CompletableFuture<>();
                java.util.concurrent.atomic.AtomicReference<String> callbackThread =
                        new java.util.concurrent.atomic.AtomicReference<>();
                p.append(topic, Record.of(null, KafkaTestSupport.bytes("takes the whole buffer")), (first, error) -> {
                    try {
                        callbackThread.set(Thread.currentThread().getName());
                        java.util.concurrent.atomic.AtomicReference<Throwable> told =
                                new java.util.concurrent.atomic.AtomicReference<>();
                        p.append(topic, Record.of(null, KafkaTestSupport.bytes("callback form")),
                                (result, e) -> told.set(e != null ? e : new AssertionError("stored: " + result)));
                        inside.complete(Map.of(
                                "future form", thrownBy(() -> p.append(topic, Record.of(null,
                                        KafkaTestSupport.bytes("future form"))))
                                        .orElseGet(() -> new AssertionError("append did not throw")),
                                "callback form", told.get() != null ? told.get()
                                        : new AssertionError("the callback was not told inside append"),
                                "appendAll", thrownBy(() -> p.appendAll(topic, List.of(Record.of(null,
                                        KafkaTestSupport.bytes("appendAll")))))
                                        .orElseGet(() -> new AssertionError("appendAll did not throw"))));
                    } catch (Throwable t) {
                        inside.completeExceptionally(t);
                    }
                });
                Map<String, Throwable> errors = inside.get(30, TimeUnit.SECONDS);

                assertThat(callbackThread.get()).as("the callback ran on Kafka's I/O thread")
                        .startsWith(org.apache.kafka.clients.producer.KafkaProducer.NETWORK_THREAD_PREFIX);
                errors.forEach((form, error) -> {
                    assertThat(error).as(form).isInstanceOf(RetriableException.class);
                    assertThat(((TributaryException) error).code()).as(form).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                    assertThat(error.getMessage()).as(form).contains("maxBlock=200 ms", "bufferMemoryBytes")
                            .doesNotContain("120000");
                });
            }
        }
    }

    /** What {@code call} threw, if anything. */
    private static java.util.Optional<Throwable> thrownBy(Runnable call) {
        try {
            call.run();
            return java.util.Optional.empty();
        } catch (RuntimeException e) {
            return java.util.Optional.of(e);
        }
    }

    private static void throttle(String clientId, Double bytesPerSecond) throws Exception {
        try (Admin admin = Admin.create(KafkaTestSupport.broker().clientProperties())) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(
                    new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, clientId)),
                    List.of(new ClientQuotaAlteration.Op("producer_byte_rate", bytesPerSecond))))).all().get(30, TimeUnit.SECONDS);
        }
    }
}
