package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.bench.internal.LogClient.Sender;
import io.tributary.bench.internal.LogClient.Tuning;
import io.tributary.core.Record;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.Durability;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the benchmark client on our API builds the records of a per-record throughput run: the Kafka backend's
 * comparison hands the constant payload over as it is ({@code Record.wrapping}), as raw kafka-clients does; the
 * embedded engine's figures keep the copying {@code Record.of} they were recorded with.
 */
class EventLogClientTest {

    @TempDir
    Path dir;

    @Test
    void perRecordRunsWrapTheConstantPayloadWithoutACopyWhenAskedTo() {
        List<Record> handedOver = appendThree(EventLogClient.PerRecord.WRAPPING);

        assertThat(handedOver).hasSize(3).allSatisfy(r -> assertThat(r.sharedValue()).isSameAs(PAYLOAD));
    }

    @Test
    void perRecordRunsCopyThePayloadIntoEachRecordByDefault() {
        // Built without saying how: the constructor the embedded engine's runs use.
        List<Record> handedOver = appendThree(
                (log, label) -> new EventLogClient(log, label, ProducerConfig.defaults(), ProducerConfig.defaults(), 1));

        assertThat(handedOver).hasSize(3).allSatisfy(r -> {
            assertThat(r.sharedValue()).isNotSameAs(PAYLOAD);
            assertThat(r.sharedValue()).isEqualTo(PAYLOAD);
        });
    }

    @Test
    void theCallbackFormHandsEveryRecordToTheProducersCallbackAppendWithOneSharedCallback() {
        List<AppendCallback> callbacks = new CopyOnWriteArrayList<>();
        List<Record> handedOver = appendThree((log, label) -> new EventLogClient(log, label, ProducerConfig.defaults(),
                ProducerConfig.defaults(), 1, EventLogClient.PerRecord.WRAPPING, EventLogClient.AppendForm.CALLBACK),
                callbacks);

        assertThat(handedOver).hasSize(3).allSatisfy(r -> assertThat(r.sharedValue()).isSameAs(PAYLOAD));
        assertThat(callbacks).as("every record went through append(topic, record, callback)").hasSize(3);
        assertThat(callbacks.stream().distinct()).as("one callback shared by every append, as raw's send()").hasSize(1);
    }

    @Test
    void theCallbackFormNamesItsFiguresApartAndRunsItsAppendThroughputOnly() {
        EventLog embedded = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()));
        try (EventLogClient callbacks = new EventLogClient(embedded, "ours-cb", ProducerConfig.defaults(),
                ProducerConfig.defaults(), 1, EventLogClient.PerRecord.WRAPPING, EventLogClient.AppendForm.CALLBACK)) {
            assertThat(callbacks.appendWorkload(1)).isEqualTo("appendCb");
            assertThat(callbacks.appendThroughputOnly()).isTrue();
            assertThat(callbacks.appendCalls()).contains("callback", "Record.wrapping");
        }
    }

    private static final byte[] PAYLOAD = LogWorkloads.payload(100);

    private List<Record> appendThree(EventLogClient.PerRecord perRecord) {
        return appendThree((log, label) -> new EventLogClient(log, label, ProducerConfig.defaults(),
                ProducerConfig.defaults(), 1, perRecord));
    }

    private List<Record> appendThree(BiFunction<EventLog, String, EventLogClient> clientFactory) {
        return appendThree(clientFactory, new CopyOnWriteArrayList<>());
    }

    private List<Record> appendThree(BiFunction<EventLog, String, EventLogClient> clientFactory,
                                     List<AppendCallback> callbacks) {
        List<Record> handedOver = new CopyOnWriteArrayList<>();
        EventLog embedded = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()));
        try (LogClient client = clientFactory.apply(new Watched(embedded, handedOver, callbacks), "ours")) {
            client.createTopic("t", 1, Durability.NEVER);
            try (Sender sender = client.newSender(Tuning.THROUGHPUT, 100)) {
                sender.sendAll("t", PAYLOAD, 3);
                sender.flush();
                assertThat(sender.failures()).isZero();
            }
        }
        return handedOver;
    }

    /** The embedded log, noting every record its producers are given, and the callbacks of the callback form. */
    private record Watched(EventLog log, List<Record> handedOver, List<AppendCallback> callbacks) implements EventLog {
        @Override
        public String backend() {
            return log.backend();
        }

        @Override
        public Set<Capability> capabilities() {
            return log.capabilities();
        }

        @Override
        public LogAdmin admin() {
            return log.admin();
        }

        @Override
        public LogProducer producer(ProducerConfig config) {
            LogProducer p = log.producer(config);
            return new LogProducer() {
                @Override
                public CompletableFuture<AppendResult> append(String topic, Record record) {
                    handedOver.add(record);
                    return p.append(topic, record);
                }

                @Override
                public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
                    handedOver.add(record);
                    return p.append(topic, partition, record);
                }

                @Override
                public void append(String topic, Record record, AppendCallback callback) {
                    handedOver.add(record);
                    callbacks.add(callback);
                    p.append(topic, record, callback);
                }

                @Override
                public void append(String topic, int partition, Record record, AppendCallback callback) {
                    handedOver.add(record);
                    callbacks.add(callback);
                    p.append(topic, partition, record, callback);
                }

                @Override
                public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
                    handedOver.addAll(records);
                    return p.appendAll(topic, records);
                }

                @Override
                public void flush() {
                    p.flush();
                }

                @Override
                public void close() {
                    p.close();
                }
            };
        }

        @Override
        public LogConsumer consumer(ConsumerConfig config) {
            return log.consumer(config);
        }

        @Override
        public void close() {
            log.close();
        }
    }
}
