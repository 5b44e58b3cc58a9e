package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.append;
import static io.tributary.kafka.KafkaTestSupport.await;
import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.pollAtLeast;
import static io.tributary.kafka.KafkaTestSupport.text;
import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.kafka.internal.AppendAllPaths;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupState;
import io.tributary.log.KeyPartitioner;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.PartitionLag;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import io.tributary.log.TransactionalProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Kafka backend against a real in-JVM broker: what the API promises, Kafka-specific mapping included. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaEventLogTest {

    private EventLog log;

    @BeforeEach
    void open() {
        log = KafkaTestSupport.openLog();
    }

    @AfterEach
    void close() {
        log.close();
    }

    @Test
    void aWakeUpUsedUpByACommitInsideARebalanceListenerStillEndsThePoll() {
        // Regression (review finding): a commit made by the rebalance listener inside poll swallowed the Kafka
        // wake-up meant for that poll and retried; the poll then waited its whole timeout with the wake-up pending.
        String topic = topic("wakeup-in-listener", 1, Map.of());
        TopicPartition p0 = new TopicPartition(topic, 0);
        java.util.concurrent.atomic.AtomicReference<LogConsumer> self = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean committed = new java.util.concurrent.atomic.AtomicBoolean();
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("wakeup-in-listener")))) {
            self.set(c);
            c.subscribe(List.of(topic), new RebalanceListener() {
                @Override
                public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                    self.get().wakeup(); // e.g. a handler finishing while the listener runs
                    self.get().commitSync(Map.of(p0, 0L));
                    committed.set(true);
                }
            });
            long start = System.nanoTime();
            List<LogRecord> none = c.poll(Duration.ofSeconds(60)); // the topic is empty: only the wake-up ends it early
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(committed).as("the listener ran inside this poll").isTrue();
            assertThat(none).isEmpty();
            assertThat(tookMs).as("the poll ended on the pending wake-up, not after its 60 s timeout").isLessThan(30_000);
        }
    }

    private String topic(String purpose, int partitions, Map<String, String> config) {
        String name = unique(purpose);
        log.admin().createTopic(new NewTopic(name, partitions, TopicConfig.of(config)));
        return name;
    }

    @Test
    void isSelectedByTheBackendSettingAndDeclaresEveryCapability() {
        assertThat(log.backend()).isEqualTo("kafka");
        assertThat(log.capabilities()).containsExactlyInAnyOrder(Capability.values());
    }

    @Test
    void roundTripsKeysValuesHeadersTombstonesAndTimestampsOnTheKeysKafkaPartition() {
        String topic = topic("roundtrip", 4, Map.of());
        long ts = 1_700_000_000_123L;
        List<Record> sent = List.of(
                new Record(bytes("order-1"), bytes("created"), Headers.of(Header.ofString("dup", "a"),
                        new Header("empty", new byte[0]), Header.ofString("dup", "b")), ts),
                new Record(bytes("order-1"), null, Headers.empty(), ts + 1),
                new Record(new byte[0], new byte[0], Headers.empty(), 0));
        List<AppendResult> acks;
        try (LogProducer p = log.producer()) {
            acks = append(p, topic, sent);
        }
        assertThat(acks.get(0).partition()).isEqualTo(KeyPartitioner.partitionForKey(bytes("order-1"), 4))
                .isEqualTo(acks.get(1).partition());
        assertThat(acks.get(2).partition()).isEqualTo(KeyPartitioner.partitionForKey(new byte[0], 4));
        assertThat(acks).extracting(AppendResult::timestamp).containsExactly(ts, ts + 1, 0L);

        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            c.assign(IntStream.range(0, 4).mapToObj(p -> new TopicPartition(topic, p)).toList());
            List<LogRecord> got = pollAtLeast(c, 3, Duration.ofSeconds(30));
            for (int i = 0; i < 3; i++) {
                AppendResult ack = acks.get(i);
                LogRecord r = got.stream().filter(x -> x.partition() == ack.partition() && x.offset() == ack.offset())
                        .findFirst().orElseThrow();
                assertThat(r.toRecord()).isEqualTo(sent.get(i));
            }
        }
    }

    @Test
    void mapsFsyncModesToKafkaFlushConfigsAndBack() throws Exception {
        String always = topic("fsync-always", 1, Map.of(TopicConfig.FSYNC, "always"));
        String interval = topic("fsync-interval", 1, Map.of(TopicConfig.FSYNC, "interval:250"));
        String never = topic("fsync-never", 1, Map.of(TopicConfig.FSYNC, "never"));
        String unset = topic("fsync-unset", 1, Map.of(TopicConfig.RETENTION_MS, "3600000"));

        try (Admin admin = Admin.create(KafkaTestSupport.broker().clientProperties())) {
            assertThat(kafkaConfig(admin, always).get("flush.messages").value()).isEqualTo("1");
            assertThat(kafkaConfig(admin, interval).get("flush.ms").value()).isEqualTo("250");
            assertThat(kafkaConfig(admin, unset).get("flush.messages").source())
                    .as("fsync not set: the broker's default applies").isNotEqualTo(
                            org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
        assertThat(log.admin().describeTopic(always).config().overrides()).containsEntry(TopicConfig.FSYNC, "always");
        assertThat(log.admin().describeTopic(interval).config().overrides()).containsEntry(TopicConfig.FSYNC, "interval:250");
        assertThat(log.admin().describeTopic(never).config().overrides()).containsEntry(TopicConfig.FSYNC, "never");
        assertThat(log.admin().describeTopic(unset).config().overrides())
                .isEqualTo(Map.of(TopicConfig.RETENTION_MS, "3600000"));

        log.admin().alterTopicConfig(always, Map.of(TopicConfig.FSYNC, "interval:100"));
        assertThat(log.admin().describeTopic(always).config().overrides()).containsEntry(TopicConfig.FSYNC, "interval:100");
    }

    private static Config kafkaConfig(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
    }

    @Test
    void appendAllAcknowledgesEveryKeylessRecordWithItsPlaceInListOrder() {
        String topic = topic("append-all", 3, Map.of());
        long t0 = System.currentTimeMillis() - 10_000;
        List<Record> records = IntStream.range(0, 500)
                .mapToObj(i -> Record.wrapping(null, bytes("v" + i), Headers.empty(), t0 + i)).toList();
        List<AppendResult> results;
        try (LogProducer p = log.producer()) {
            results = await(p.appendAll(topic, records));
        }

        assertThat(results).hasSize(records.size());
        Map<Integer, List<Long>> offsetsByPartition = new java.util.HashMap<>();
        for (int i = 0; i < results.size(); i++) {
            AppendResult r = results.get(i);
            assertThat(r.topic()).isEqualTo(topic);
            assertThat(r.partition()).isBetween(0, 2);
            assertThat(r.timestamp()).as("timestamp of record %d", i).isEqualTo(t0 + i);
            offsetsByPartition.computeIfAbsent(r.partition(), k -> new java.util.ArrayList<>()).add(r.offset());
        }
        offsetsByPartition.forEach((partition, offsets) -> assertThat(offsets)
                .as("offsets of partition %d, in list order", partition).isSorted().doesNotHaveDuplicates());
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            List<TopicPartition> all = IntStream.range(0, 3).mapToObj(i -> new TopicPartition(topic, i)).toList();
            c.assign(all);
            c.seekToBeginning(all);
            List<LogRecord> stored = pollAtLeast(c, records.size(), Duration.ofSeconds(30));
            for (LogRecord s : stored) {
                int i = results.indexOf(new AppendResult(topic, s.partition(), s.offset(), s.timestamp()));
                assertThat(i).as("record at %d@%d is one of the acknowledged", s.partition(), s.offset()).isNotNegative();
                assertThat(text(s.value())).isEqualTo("v" + i);
            }
        }
        assertThat(catchThrowableOfType(UnsupportedOperationException.class, () -> results.set(0, results.get(1))))
                .as("the results cannot be changed").isNotNull();
    }

    @Test
    void appendAllToAOnePartitionTopicGivesEachRecordItsOwnOffsetAcrossManyKafkaBatches() {
        // Keyless records for a one-partition topic are told apart by the order of their acknowledgements, not by a
        // callback per record: each result must still be its own record's, over many batches and requests (2 KiB
        // batches of ~20 records), with records of other calls in flight in between.
        String topic = topic("append-all-one-partition", 1, Map.of());
        long t0 = System.currentTimeMillis() - 10_000;
        int calls = 20;
        int perCall = 150;
        List<List<Record>> lists = IntStream.range(0, calls).mapToObj(c -> IntStream.range(0, perCall)
                .mapToObj(i -> Record.wrapping(null, bytes("c" + c + "-v" + i), Headers.empty(), t0 + c * perCall + i))
                .toList()).toList();
        List<List<AppendResult>> results = new java.util.ArrayList<>();
        try (LogProducer p = log.producer(ProducerConfig.defaults().withProperties(Map.of("batch.size", "2048")))) {
            List<CompletableFuture<List<AppendResult>>> pending = lists.stream().map(l -> p.appendAll(topic, l)).toList();
            pending.forEach(f -> results.add(await(f)));
            assertThat(AppendAllPaths.callsByArrival(p)).as("calls that shared one callback").isEqualTo(calls);
        }

        Map<Long, String> expected = new java.util.HashMap<>();
        for (int c = 0; c < calls; c++) {
            assertThat(results.get(c)).hasSize(perCall);
            for (int i = 0; i < perCall; i++) {
                AppendResult r = results.get(c).get(i);
                assertThat(r.partition()).isZero();
                assertThat(r.timestamp()).as("timestamp of call %d record %d", c, i).isEqualTo(t0 + c * perCall + i);
                assertThat(expected.put(r.offset(), "c" + c + "-v" + i)).as("offset %d given once", r.offset()).isNull();
            }
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            TopicPartition p0 = new TopicPartition(topic, 0);
            c.assign(List.of(p0));
            c.seekToBeginning(List.of(p0));
            List<LogRecord> stored = pollAtLeast(c, calls * perCall, Duration.ofSeconds(30));
            assertThat(stored).hasSize(calls * perCall);
            for (LogRecord s : stored) {
                assertThat(text(s.value())).as("the record stored at offset %d", s.offset()).isEqualTo(expected.get(s.offset()));
            }
        }
    }

    @Test
    void appendAllToAOnePartitionTopicFromSeveralThreadsGivesEachCallItsOwnRecordsOffsets() {
        // Acknowledgements of several callers' calls interleave in the one partition; each call counts only its own.
        String topic = topic("append-all-one-partition-threads", 1, Map.of());
        int threads = 4;
        int callsPerThread = 10;
        int perCall = 64;
        Map<Long, String> expected = new java.util.concurrent.ConcurrentHashMap<>();
        try (LogProducer p = log.producer(ProducerConfig.defaults().withProperties(Map.of("batch.size", "4096")))) {
            List<CompletableFuture<Void>> done = IntStream.range(0, threads).mapToObj(t -> CompletableFuture.runAsync(() -> {
                for (int c = 0; c < callsPerThread; c++) {
                    int call = c;
                    List<Record> records = IntStream.range(0, perCall)
                            .mapToObj(i -> Record.of(null, bytes("t" + t + "-c" + call + "-v" + i))).toList();
                    List<AppendResult> results = await(p.appendAll(topic, records));
                    for (int i = 0; i < perCall; i++) {
                        expected.put(results.get(i).offset(), "t" + t + "-c" + call + "-v" + i);
                    }
                }
            })).toList();
            done.forEach(KafkaTestSupport::await);
            assertThat(AppendAllPaths.callsByArrival(p)).as("calls that shared one callback")
                    .isEqualTo(threads * callsPerThread);
        }

        assertThat(expected).hasSize(threads * callsPerThread * perCall);
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            TopicPartition p0 = new TopicPartition(topic, 0);
            c.assign(List.of(p0));
            c.seekToBeginning(List.of(p0));
            for (LogRecord s : pollAtLeast(c, expected.size(), Duration.ofSeconds(30))) {
                assertThat(text(s.value())).as("the record stored at offset %d", s.offset()).isEqualTo(expected.get(s.offset()));
            }
        }
    }

    @Test
    void appendAllToAOnePartitionTopicGivesEachRecordItsOwnPlaceWhenAnInterceptorReroutesThem() {
        // Telling records apart by acknowledgement order holds only while they all go to the one partition; a
        // producer interceptor may send them elsewhere (here: spread over a topic of 3 partitions, 1 KiB batches).
        String named = topic("append-all-rerouted-from", 1, Map.of());
        String rerouted = topic("append-all-rerouted-to", 3, Map.of());
        long t0 = System.currentTimeMillis() - 10_000;
        List<Record> records = IntStream.range(0, 300)
                .mapToObj(i -> Record.wrapping(null, bytes("v" + i), Headers.empty(), t0 + i)).toList();
        List<AppendResult> results;
        try (LogProducer p = log.producer(ProducerConfig.defaults().withProperties(Map.of(
                "interceptor.classes", RerouteInterceptor.class.getName(), RerouteInterceptor.TOPIC, rerouted,
                "batch.size", "1024")))) {
            results = await(p.appendAll(named, records));
            assertThat(AppendAllPaths.callsByArrival(p)).as("calls that shared one callback").isZero();
        }

        assertThat(results).hasSize(records.size());
        assertThat(results.stream().map(AppendResult::partition).distinct().count())
                .as("the rerouted records were spread over several partitions").isGreaterThan(1);
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            List<TopicPartition> all = IntStream.range(0, 3).mapToObj(i -> new TopicPartition(rerouted, i)).toList();
            c.assign(all);
            c.seekToBeginning(all);
            Map<String, String> storedAt = new java.util.HashMap<>();
            for (LogRecord s : pollAtLeast(c, records.size(), Duration.ofSeconds(30))) {
                storedAt.put(s.partition() + "@" + s.offset(), text(s.value()));
            }
            for (int i = 0; i < results.size(); i++) {
                AppendResult r = results.get(i);
                assertThat(storedAt.get(r.partition() + "@" + r.offset())).as("the record at result %d's place", i)
                        .isEqualTo("v" + i);
            }
        }
    }

    @Test
    void appendAllToAOnePartitionTopicLetsTheUsersPartitionerPlaceEveryRecordAsAppendDoes() {
        // Naming partition 0 would bypass a partitioner.class passed through, which append() still uses.
        String topic = topic("append-all-user-partitioner", 1, Map.of());
        List<Record> records = IntStream.range(0, 50).mapToObj(i -> Record.of(null, bytes("v" + i))).toList();
        try (LogProducer p = log.producer(ProducerConfig.defaults().withProperties(Map.of(
                "partitioner.class", CountingPartitioner.class.getName())))) {
            List<AppendResult> results = await(p.appendAll(topic, records));
            assertThat(results).extracting(AppendResult::offset).containsExactlyElementsOf(
                    LongStream.range(0, records.size()).boxed().toList());
            assertThat(AppendAllPaths.callsByArrival(p)).as("calls that shared one callback").isZero();
        }
        assertThat(CountingPartitioner.placed(topic)).as("records the user's partitioner placed")
                .isEqualTo(records.size());
    }

    @Test
    void appendAllChecksEveryRecordBeforeSendingAnyAndNamesTheOneTooLarge() {
        String topic = topic("append-all-limit", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000"));
        try (LogProducer p = log.producer()) {
            InvalidRequestException large = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.appendAll(topic, List.of(Record.of(null, bytes("a")), Record.of(null, bytes("b")),
                            Record.of(null, new byte[2000]))));
            assertThat(large.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(large.getMessage()).contains("Record 2 of the list", "2000 bytes", "max.message.bytes=1000", topic);
            assertThat(await(p.appendAll(topic, List.of()))).isEmpty();
            p.flush();
        }
        assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).as("nothing stored").isZero();
    }

    @Test
    void measuresARecordAgainstMaxMessageBytesWithItsBatchFramingAsTheBrokerDoes() {
        // Regression (review finding): the topic's limit was compared with key + value + headers alone, while the
        // broker measures the whole record batch. A value 50 bytes under the limit passed our check, the broker
        // refused it, and the records of the list before it were stored.
        String topic = topic("limit-framing", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "2000"));
        // Kafka's bound for a null key, no headers and this value: 61 + 21 bytes of framing, a 1-byte null key, a
        // 2-byte varint length and a 1-byte header count.
        Record atTheBound = Record.of(null, new byte[2000 - 61 - 21 - 1 - 2 - 1]);
        Record underByItsBytes = Record.of(null, new byte[1950]);
        try (LogProducer p = log.producer()) {
            InvalidRequestException large = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.appendAll(topic, List.of(Record.of(null, bytes("a")), underByItsBytes)));
            assertThat(large.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(large.getMessage()).contains("Record 1 of the list", "1950 bytes", "2036 bytes",
                    "max.message.bytes=2000", topic);
            assertThat(catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, underByItsBytes)).code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            p.flush();
            assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).as("nothing stored")
                    .isZero();

            // What the bound lets through, the broker takes.
            assertThat(await(p.appendAll(topic, List.of(atTheBound)))).hasSize(1);
            await(p.append(topic, atTheBound));
        }
        assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).isEqualTo(2);
    }

    @Test
    void refusesARecordWhoseSizeAddsUpPastAnIntWithRecordTooLargeBeforeSending() {
        // Regression (review finding): 21 x 100 MiB of headers summed in an int wrapped to a negative size, which
        // passed both pre-send checks and failed inside Kafka's send() instead of with RECORD_TOO_LARGE.
        String topic = topic("int-wrap", 1, Map.of());
        Header big = new Header("h", new byte[100 << 20]);
        Record huge = Record.wrapping(null, null, Headers.of(java.util.Collections.nCopies(21, big)), 0);
        try (LogProducer p = log.producer()) {
            InvalidRequestException single = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, huge));
            assertThat(single.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(single.getMessage()).contains(String.valueOf(Integer.MAX_VALUE), "max.message.bytes", topic);
            InvalidRequestException inList = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.appendAll(topic, List.of(Record.of(null, bytes("a")), huge)));
            assertThat(inList.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(inList.getMessage()).contains("Record 1 of the list");
            p.flush();
        }
        assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).as("nothing stored").isZero();
    }

    @Test
    void appendAllRejectsARecordOverTheProducersBufferBeforeSendingAnyAndNamesBufferMemoryBytes() {
        // The topic takes 3 MB records; the producer's 64 KiB buffer (which sets Kafka's max.request.size) cannot.
        String topic = topic("append-all-buffer", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "3000000"));
        try (LogProducer p = log.producer(ProducerConfig.defaults().withBufferMemoryBytes(64 * 1024))) {
            // A LinkedList: the checks and sends walk the list instead of indexing it.
            List<Record> records = new java.util.LinkedList<>(List.of(Record.of(null, bytes("a")),
                    Record.of(null, bytes("b")), Record.of(null, new byte[100_000])));
            InvalidRequestException large = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.appendAll(topic, records));
            assertThat(large.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(large.getMessage()).contains("Record 2 of the list", topic, "65536 bytes",
                    "ProducerConfig.withBufferMemoryBytes", "No record of the list was sent");

            InvalidRequestException single = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, Record.of(null, new byte[100_000])));
            assertThat(single.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(single.getMessage()).contains("A record", "bufferMemoryBytes=65536")
                    .doesNotContain("max.message.bytes");
            p.flush();
        }
        assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).as("nothing stored").isZero();
    }

    @Test
    void appendsARecordJustUnderWhatTheProducerCanSendAsKafkaMeasuresIt() {
        String topic = topic("append-buffer-edge", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "3000000"));
        int buffer = 64 * 1024;
        try (LogProducer p = log.producer(ProducerConfig.defaults().withBufferMemoryBytes(buffer))) {
            // Kafka counts 61 + 21 bytes of framing, a 1-byte null key, a 3-byte varint length for this value and a
            // 1-byte header count.
            Record fits = Record.of(null, new byte[buffer - 61 - 21 - 1 - 3 - 1]);
            Record over = Record.of(null, new byte[buffer - 61 - 21 - 1 - 3 - 1 + 1]);
            assertThat(await(p.appendAll(topic, List.of(fits)))).hasSize(1);
            assertThat(catchThrowableOfType(InvalidRequestException.class, () -> p.appendAll(topic, List.of(over))).code())
                    .isEqualTo(LogErrors.RECORD_TOO_LARGE);
        }
        assertThat(log.admin().describeTopic(topic).partitions().getFirst().endOffset()).isEqualTo(1);
    }

    @Test
    void throwsPreSendErrorsFromTheAppendCallWithTheirCodes() {
        String topic = topic("limits", 2, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000"));
        String missing = unique("missing");
        try (LogProducer p = log.producer()) {
            NotFoundException unknown = catchThrowableOfType(NotFoundException.class,
                    () -> p.append(missing, Record.of(null, bytes("v"))));
            assertThat(unknown.code()).isEqualTo(LogErrors.TOPIC_NOT_FOUND);
            assertThat(unknown.getMessage()).contains(missing, "create");

            InvalidRequestException range = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, 2, Record.of(null, bytes("v"))));
            assertThat(range.code()).isEqualTo(LogErrors.PARTITION_OUT_OF_RANGE);
            assertThat(range.getMessage()).contains("0 to 1");

            InvalidRequestException large = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, Record.of(null, new byte[2000])));
            assertThat(large.code()).isEqualTo(LogErrors.RECORD_TOO_LARGE);
            assertThat(large.getMessage()).contains("max.message.bytes=1000", topic);

            p.close();
            InvalidRequestException closed = catchThrowableOfType(InvalidRequestException.class,
                    () -> p.append(topic, Record.of(null, bytes("v"))));
            assertThat(closed.code()).isEqualTo(ErrorCode.CLOSED);
        }
    }

    @Test
    void reportsAnUnreachableClusterWithTheAddressAndTheTimeout() {
        int deadPort = io.tributary.testbroker.KafkaTestBroker.class.hashCode() % 1000 + 1; // privileged: nothing listens
        RetriableException e = catchThrowableOfType(RetriableException.class, () -> EventLogs.open(Map.of(
                EventLogs.BACKEND, "kafka",
                KafkaLogConfig.BOOTSTRAP_SERVERS, "127.0.0.1:" + deadPort,
                KafkaLogConfig.ADMIN_PREFIX + "default.api.timeout.ms", "1500",
                KafkaLogConfig.ADMIN_PREFIX + "request.timeout.ms", "1000")));
        assertThat(e.code()).isEqualTo(LogErrors.BROKER_UNREACHABLE);
        assertThat(e.getMessage()).contains("127.0.0.1:" + deadPort, "1500 ms", "bootstrap-servers");
    }

    @Test
    void rejectsUnknownAndReservedSettingsAllAtOnce() {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> EventLogs.open(Map.of(
                EventLogs.BACKEND, "kafka",
                "tributary.log.kafka.bootstrap-server", "typo:9092",
                KafkaLogConfig.CLIENT_PREFIX + "value.deserializer", "x",
                KafkaLogConfig.REPLICATION_FACTOR, "three")));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(e.getMessage()).contains("tributary.log.kafka.bootstrap-server'", "value.deserializer",
                "replication-factor", "bootstrap-servers is missing");
    }

    @Test
    void passesClientPropertiesThroughToTheClients() {
        try (EventLog custom = EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                KafkaLogConfig.BOOTSTRAP_SERVERS, KafkaTestSupport.broker().bootstrapServers(),
                KafkaLogConfig.PRODUCER_PREFIX + "compression.type", "zstd",
                KafkaLogConfig.CLIENT_PREFIX + "security.protocol", "PLAINTEXT",
                KafkaLogConfig.TOPIC_PREFIX + "min.insync.replicas", "1"))) {
            String topic = unique("passthrough");
            custom.admin().createTopic(NewTopic.of(topic, 1));
            try (LogProducer p = custom.producer()) {
                assertThat(await(p.append(topic, Record.of(bytes("k"), bytes("zstd"))))).isNotNull();
            }
        }
        InvalidRequestException bad = catchThrowableOfType(InvalidRequestException.class, () -> {
            try (EventLog broken = EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                    KafkaLogConfig.BOOTSTRAP_SERVERS, KafkaTestSupport.broker().bootstrapServers(),
                    KafkaLogConfig.PRODUCER_PREFIX + "compression.type", "pigeon"))) {
                broken.producer();
            }
        });
        assertThat(bad.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(bad.getMessage()).contains("compression.type");
    }

    @Test
    void seeksByOffsetAndTimestampAndRejectsOffsetsOutsideTheLog() {
        String topic = topic("seek", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            for (int i = 0; i < 5; i++) {
                await(p.append(topic, 0, new Record(null, bytes("v" + i), Headers.empty(), (i + 1) * 1000L)));
            }
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            c.assign(List.of(tp));
            c.seekToTimestamp(List.of(tp), 2500);
            assertThat(c.position(tp)).isEqualTo(2);
            c.seekToTimestamp(List.of(tp), 99_000);
            assertThat(c.position(tp)).isEqualTo(5);
            c.seek(tp, 5);
            InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> c.seek(tp, 6));
            assertThat(e.code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE);
            assertThat(e.getMessage()).contains("0 to 5", topic);
            assertThat(c.position(tp)).isEqualTo(5);
            TributaryException notAssigned = catchThrowableOfType(TributaryException.class,
                    () -> c.position(new TopicPartition(topic, 1)));
            assertThat(notAssigned.code()).isEqualTo(LogErrors.NOT_ASSIGNED);
        }
    }

    @Test
    void seekingBackIntoWhatTheLatestPollReturnedReadsAgainFromThereAndOtherSeeksAreStillChecked() {
        String topic = topic("kafka-seek-back", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            append(p, topic, IntStream.range(0, 10).mapToObj(i -> Record.of(null, bytes("v" + i))).toList());
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withMaxPollRecords(6))) {
            c.assign(List.of(tp));
            List<LogRecord> first = pollAtLeast(c, 6, Duration.ofSeconds(30));
            assertThat(first).extracting(LogRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);

            c.seek(tp, 3); // inside the latest poll, as a processor re-reads what it could not buffer
            assertThat(c.position(tp)).isEqualTo(3);
            assertThat(pollAtLeast(c, 6, Duration.ofSeconds(30))).extracting(r -> text(r.value()))
                    .startsWith("v3", "v4", "v5", "v6", "v7", "v8");
            c.seek(tp, 9);
            assertThat(pollAtLeast(c, 1, Duration.ofSeconds(30))).extracting(r -> text(r.value()))
                    .containsExactly("v9");

            c.seek(tp, 0); // outside the latest poll (9): asks the broker, and it is in range
            assertThat(c.position(tp)).isEqualTo(0);
            InvalidRequestException beyond = catchThrowableOfType(InvalidRequestException.class, () -> c.seek(tp, 11));
            assertThat(beyond.code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE);
            assertThat(beyond.getMessage()).contains("0 to 10", topic);
        }
    }

    /**
     * A seek back into the latest poll hands its records back instead of making Kafka drop its read-ahead and fetch
     * again: they come back in order, not while the partition is paused, count as unread for position and commit,
     * and any other seek drops them.
     */
    @Test
    void recordsHandedBackBySeekingIntoTheLatestPollComeAgainInOrderAndCountAsUnread() {
        String topic = topic("kafka-hand-back", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            append(p, topic, IntStream.range(0, 10).mapToObj(i -> Record.of(null, bytes("v" + i))).toList());
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("kafka-hand-back")).withMaxPollRecords(4))) {
            c.assign(List.of(tp));
            List<LogRecord> latest = firstNonEmptyPoll(c);
            c.seek(tp, latest.getFirst().offset());
            c.seek(tp, 0); // another seek drops what was handed back
            assertThat(firstNonEmptyPoll(c).getFirst().offset()).isEqualTo(0);

            c.seek(tp, 0);
            latest = firstNonEmptyPoll(c);
            long from = latest.getLast().offset(); // the last record of the poll: one handed back
            c.seek(tp, from);
            c.pause(List.of(tp));
            assertThat(c.poll(Duration.ofMillis(200))).as("paused, handed-back records included").isEmpty();
            assertThat(c.position(tp)).isEqualTo(from);
            c.commitSync();
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, from);

            c.resume(List.of(tp));
            assertThat(pollAtLeast(c, (int) (10 - from), Duration.ofSeconds(30))).extracting(LogRecord::offset)
                    .containsExactlyElementsOf(LongStream.range(from, 10).boxed().toList());
            assertThat(c.position(tp)).isEqualTo(10);
        }
    }

    /** Regression (review): re-assigning a partition dropped its handed-back records, and a commit skipped them. */
    @Test
    void reassigningAPartitionKeepsItsHandedBackRecordsUnread() {
        String topic = topic("kafka-hand-back-reassign", 1, Map.of());
        String other = topic("kafka-hand-back-other", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            append(p, topic, IntStream.range(0, 10).mapToObj(i -> Record.of(null, bytes("v" + i))).toList());
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("kafka-hand-back-reassign"))
                .withMaxPollRecords(10))) {
            c.assign(List.of(tp));
            List<LogRecord> latest = firstNonEmptyPoll(c);
            long from = latest.getFirst().offset();
            c.seek(tp, from); // hands back what the poll returned
            c.assign(List.of(tp, new TopicPartition(other, 0)));
            assertThat(c.position(tp)).as("the re-assigned partition resumes at the first unread record")
                    .isEqualTo(from);
            c.commitSync();
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, from);
            assertThat(pollAtLeast(c, (int) (10 - from), Duration.ofSeconds(30))).extracting(LogRecord::offset)
                    .containsExactlyElementsOf(LongStream.range(from, 10).boxed().toList());
        }
    }

    private static List<LogRecord> firstNonEmptyPoll(LogConsumer c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<LogRecord> got = c.poll(Duration.ofMillis(200));
            if (!got.isEmpty()) {
                return got;
            }
        }
        throw new AssertionError("no records within 30 s");
    }

    @Test
    void pollRefusesOnceAConsumerWasLeftWithNothingToRead() {
        String topic = topic("kafka-nothing-to-read", 1, Map.of());
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("kafka-g")))) {
            TributaryException fresh = catchThrowableOfType(TributaryException.class, () -> c.poll(Duration.ZERO));
            assertThat(fresh.code()).isEqualTo(LogErrors.NOT_ASSIGNED);
            c.assign(List.of(new TopicPartition(topic, 0)));
            assertThat(c.poll(Duration.ZERO)).isEmpty();
            c.assign(List.of());
            TributaryException emptied = catchThrowableOfType(TributaryException.class, () -> c.poll(Duration.ZERO));
            assertThat(emptied.code()).isEqualTo(LogErrors.NOT_ASSIGNED);
            c.subscribe(List.of(topic), RebalanceListener.NONE);
            c.poll(Duration.ZERO);
            c.unsubscribe();
            TributaryException unsubscribed = catchThrowableOfType(TributaryException.class,
                    () -> c.poll(Duration.ZERO));
            assertThat(unsubscribed.code()).isEqualTo(LogErrors.NOT_ASSIGNED);
        }
    }

    /**
     * Regression guard for the producer's reuse of the last boxed timestamp (one {@code Long} per millisecond, shared
     * racily between appending threads): every record keeps its own timestamp, whatever the interleaving.
     */
    @Test
    void recordsAppendedConcurrentlyWithRepeatingAndChangingTimestampsKeepTheirOwn() throws Exception {
        String topic = topic("kafka-timestamps", 1, Map.of());
        int threads = 4;
        int perThread = 2_000;
        try (LogProducer p = log.producer()) {
            List<Thread> workers = IntStream.range(0, threads).mapToObj(t -> Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    long ts = 1_000L * t + i / 3; // each timestamp three times in a row, different per thread
                    p.append(topic, new Record(null, bytes(t + ":" + ts), Headers.empty(), ts));
                }
            })).toList();
            for (Thread w : workers) {
                w.join();
            }
            p.flush();
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            c.assign(List.of(new TopicPartition(topic, 0)));
            List<LogRecord> all = pollAtLeast(c, threads * perThread, Duration.ofSeconds(60));
            assertThat(all).hasSize(threads * perThread);
            assertThat(all).allSatisfy(r -> assertThat(r.timestamp())
                    .isEqualTo(Long.parseLong(text(r.value()).split(":")[1])));
        }
    }

    @Test
    void appendingHandsTheRecordsOwnBytesToKafkaWithoutChangingThem() {
        String topic = topic("kafka-shared-bytes", 1, Map.of());
        Record r = new Record(bytes("k"), bytes("value"), Headers.empty().with("h", "x"), 42);
        try (LogProducer p = log.producer()) {
            await(p.append(topic, r));
            await(p.append(topic, r));
        }
        assertThat(r.key()).isEqualTo(bytes("k"));
        assertThat(r.value()).isEqualTo(bytes("value"));
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            c.assign(List.of(new TopicPartition(topic, 0)));
            assertThat(pollAtLeast(c, 2, Duration.ofSeconds(30))).allSatisfy(lr -> {
                assertThat(lr.toRecord()).isEqualTo(r);
            });
        }
    }

    /**
     * Regression: a processor's handler threads call {@code wakeup()} whenever a call completes, so wake-ups land
     * while the poll thread seeks or commits. Each such call used to be retried once only, so a second wake-up during
     * the retry failed it ("Cannot seek ...: WakeupException") and stopped the processor.
     */
    @Test
    void seeksCommitsAndReadsPositionsWhileAnotherThreadKeepsCallingWakeupAndPollStillReturnsEarly() throws Exception {
        String topic = topic("wakeups", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            for (int i = 0; i < 10; i++) {
                await(p.append(topic, 0, Record.of(null, bytes("v" + i))));
            }
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("wakeups-group")))) {
            c.assign(List.of(tp));
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread waker = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    c.wakeup();
                    Thread.onSpinWait();
                }
            });
            try {
                for (int i = 0; i < 200; i++) {
                    c.seek(tp, i % 10);
                    assertThat(c.position(tp)).isEqualTo(i % 10);
                    c.commitSync(Map.of(tp, (long) (i % 10)));
                }
            } finally {
                stop.set(true);
                waker.join();
            }
            long start = System.nanoTime();
            c.poll(Duration.ofSeconds(20));
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("a wake-up swallowed by a retried call is re-armed for the next poll")
                    .isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void capsEachPollAtMaxPollBytesWithoutLosingTheRest() {
        String topic = topic("poll-bytes", 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer(ProducerConfig.defaults().withLinger(Duration.ofMillis(20)))) {
            // One batch of 20 x 1 KiB: Kafka hands out whole batches, so the cap must be ours.
            append(p, topic, IntStream.range(0, 20).mapToObj(i -> Record.of(null, new byte[1024])).toList());
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withMaxPollBytes(3 * 1024))) {
            c.assign(List.of(tp));
            long next = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (next < 20 && System.nanoTime() < deadline) {
                List<LogRecord> batch = c.poll(Duration.ofMillis(200));
                assertThat(batch.stream().mapToLong(LogRecord::sizeInBytes).sum()).isLessThanOrEqualTo(3 * 1024);
                for (LogRecord r : batch) {
                    assertThat(r.offset()).isEqualTo(next++);
                }
            }
            assertThat(next).isEqualTo(20);
        }
    }

    @Test
    void describesAndResetsAGroupAndRefusesWhileMembersAreActive() {
        String topic = topic("group-admin", 2, Map.of());
        String group = unique("group-admin");
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (LogProducer p = log.producer()) {
            for (int i = 0; i < 4; i++) {
                await(p.append(topic, 0, Record.of(null, bytes("a" + i))));
                await(p.append(topic, 1, Record.of(null, bytes("b" + i))));
            }
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(group).withClientId("reader")
                .withSessionTimeout(Duration.ofSeconds(3)))) {
            c.subscribe(List.of(topic), RebalanceListener.NONE);
            pollAtLeast(c, 8, Duration.ofSeconds(30));
            c.commitSync(Map.of(p0, 1L, p1, 4L));

            GroupDescription d = log.admin().describeGroup(group);
            assertThat(d.state()).isEqualTo(GroupState.STABLE);
            assertThat(d.members()).singleElement().satisfies(m -> assertThat(m.clientId()).isEqualTo("reader"));
            assertThat(d.offsets()).containsExactly(new PartitionLag(p0, 1, 4), new PartitionLag(p1, 4, 4));
            assertThat(c.groupMetadata()).hasValueSatisfying(m -> assertThat(m.memberId())
                    .isEqualTo(d.members().getFirst().memberId()));

            ConflictException busy = catchThrowableOfType(ConflictException.class,
                    () -> log.admin().resetOffsets(group, topic, OffsetSpec.earliest()));
            assertThat(busy.code()).isEqualTo(LogErrors.GROUP_NOT_EMPTY);
            assertThat(busy.getMessage()).contains(group, "reader");
        }
        assertThat(log.admin().resetOffsets(group, topic, OffsetSpec.atOffset(2))).isEqualTo(Map.of(p0, 2L, p1, 2L));
        InvalidRequestException outside = catchThrowableOfType(InvalidRequestException.class,
                () -> log.admin().resetOffsets(group, topic, OffsetSpec.atOffset(5)));
        assertThat(outside.code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE);
        assertThat(log.admin().describeGroup(group).offsets()).extracting(PartitionLag::committedOffset)
                .containsExactly(2L, 2L);
        assertThat(log.admin().listGroups()).contains(group).isSorted();

        log.admin().deleteGroup(group);
        NotFoundException gone = catchThrowableOfType(NotFoundException.class, () -> log.admin().describeGroup(group));
        assertThat(gone.code()).isEqualTo(LogErrors.GROUP_NOT_FOUND);
    }

    @Test
    void readCommittedConsumersSeeOnlyCommittedTransactionsWithTheirOffsets() {
        String in = topic("tx-in", 1, Map.of());
        String out = topic("tx-out", 1, Map.of());
        String group = unique("tx-group");
        try (LogProducer p = log.producer()) {
            append(p, in, List.of(Record.of(bytes("a"), bytes("1")), Record.of(bytes("b"), bytes("2"))));
        }
        TopicPartition inTp = new TopicPartition(in, 0);
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(group).withReadCommitted(true));
             TransactionalProducer tx = log.transactionalProducer(unique("tx"), ProducerConfig.defaults())) {
            c.subscribe(List.of(in), RebalanceListener.NONE);
            List<LogRecord> got = pollAtLeast(c, 2, Duration.ofSeconds(30));
            tx.beginTransaction();
            tx.append(out, Record.of(null, bytes("aborted")));
            tx.abortTransaction();
            tx.beginTransaction();
            for (LogRecord r : got) {
                tx.append(out, Record.of(r.key(), bytes(text(r.value()) + "!")));
            }
            tx.sendOffsetsToTransaction(Map.of(inTp, 2L), c.groupMetadata().orElseThrow());
            tx.commitTransaction();
            assertThat(c.committed(Set.of(inTp))).containsEntry(inTp, 2L);
        }
        try (LogConsumer reader = log.consumer(ConsumerConfig.defaults().withReadCommitted(true))) {
            reader.assign(List.of(new TopicPartition(out, 0)));
            List<LogRecord> visible = pollAtLeast(reader, 2, Duration.ofSeconds(30));
            visible.addAll(reader.poll(Duration.ofMillis(300)));
            assertThat(visible).extracting(r -> text(r.value())).containsExactly("1!", "2!");
        }
    }

    @Test
    void rejectsATransactionalAppendOutsideATransactionAndMixingAssignWithSubscribe() {
        String topic = topic("no-tx", 1, Map.of());
        try (TransactionalProducer tx = log.transactionalProducer(unique("no-tx"), ProducerConfig.defaults())) {
            ConflictException e = catchThrowableOfType(ConflictException.class,
                    () -> tx.append(topic, Record.of(null, bytes("v"))));
            assertThat(e.code()).isEqualTo(LogErrors.TRANSACTION_FAILED);
            assertThat(e.getMessage()).contains("beginTransaction");
        }
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup(unique("mixed")))) {
            c.assign(List.of(new TopicPartition(topic, 0)));
            InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class,
                    () -> c.subscribe(List.of(topic), RebalanceListener.NONE));
            assertThat(e.getMessage()).contains("unsubscribe()");
        }
    }

    @Test
    void aNewTransactionalProducerFencesTheOldOne() {
        String topic = topic("fence", 1, Map.of());
        String id = unique("fenced");
        TransactionalProducer old = log.transactionalProducer(id, ProducerConfig.defaults());
        try (TransactionalProducer fresh = log.transactionalProducer(id, ProducerConfig.defaults())) {
            old.beginTransaction();
            var zombieWrite = old.append(topic, Record.of(null, bytes("zombie")));
            Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> {
                zombieWrite.get(30, TimeUnit.SECONDS);
                old.commitTransaction();
            });
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            assertThat(cause).isInstanceOf(ConflictException.class);
            assertThat(((TributaryException) cause).code()).isEqualTo(LogErrors.TRANSACTION_FAILED);
            fresh.beginTransaction();
            fresh.append(topic, Record.of(null, bytes("live")));
            fresh.commitTransaction();
        } finally {
            old.close();
        }
    }
}
