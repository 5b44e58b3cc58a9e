package io.tributary.log.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.EmbeddedLog;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.KeyPartitioner;
import io.tributary.log.LogProducer;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.storage.EmbeddedStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedEventLogTest {

    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aPollAcrossPartitionsStaysWithinMaxPollBytesAndTakesARecordPastItOnlyAsItsFirst() {
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()))) {
            log.admin().createTopic(NewTopic.of("orders", 2));
            LogProducer producer = log.producer();
            // key + value bytes: 100 and 100 on partition 0; 1,000 (over the budget alone) and 100 on partition 1
            producer.append("orders", 0, Record.of(b("k"), b("a".repeat(99)))).join();
            producer.append("orders", 0, Record.of(b("k"), b("b".repeat(99)))).join();
            producer.append("orders", 1, Record.of(b("k"), b("c".repeat(999)))).join();
            producer.append("orders", 1, Record.of(b("k"), b("d".repeat(99)))).join();
            try (var consumer = log.consumer(io.tributary.log.ConsumerConfig.defaults().withMaxPollBytes(250))) {
                TopicPartition p0 = new TopicPartition("orders", 0);
                TopicPartition p1 = new TopicPartition("orders", 1);
                consumer.assign(java.util.List.of(p0, p1));
                consumer.seekToBeginning(java.util.List.of(p0, p1));
                java.util.List<io.tributary.log.LogRecord> got = new java.util.ArrayList<>();
                for (int i = 0; i < 10 && got.size() < 4; i++) {
                    java.util.List<io.tributary.log.LogRecord> batch = consumer.poll(Duration.ofMillis(100));
                    if (batch.size() > 1) {
                        assertThat(batch.stream().mapToInt(io.tributary.log.LogRecord::sizeInBytes).sum())
                                .isLessThanOrEqualTo(250);
                    }
                    if (batch.stream().anyMatch(r -> r.sizeInBytes() > 250)) {
                        assertThat(batch).as("a record over the budget comes alone").hasSize(1);
                    }
                    got.addAll(batch);
                }
                assertThat(got).extracting(r -> new String(r.value(), StandardCharsets.UTF_8).charAt(0))
                        .containsExactlyInAnyOrder('a', 'b', 'c', 'd');
                assertThat(consumer.position(p0)).isEqualTo(2);
                assertThat(consumer.position(p1)).isEqualTo(2);
            }
        }
    }

    @Test
    void aPollThatSkipsAPartitionWhoseNextRecordIsOverTheBudgetStillTakesTheSmallRecordsOfTheNext() {
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()))) {
            log.admin().createTopic(NewTopic.of("orders", 3));
            LogProducer producer = log.producer();
            // key + value bytes: 100 and 100 on partition 0; 1,000 (over the budget alone) on partition 1; 20 and 20 on
            // partition 2. The first poll visits 0, 1, 2 in turn: 200 bytes taken, 50 left when partition 1 is skipped.
            producer.append("orders", 0, Record.of(b("k"), b("a".repeat(99)))).join();
            producer.append("orders", 0, Record.of(b("k"), b("b".repeat(99)))).join();
            producer.append("orders", 1, Record.of(b("k"), b("c".repeat(999)))).join();
            producer.append("orders", 2, Record.of(b("k"), b("e".repeat(19)))).join();
            producer.append("orders", 2, Record.of(b("k"), b("f".repeat(19)))).join();
            try (var consumer = log.consumer(io.tributary.log.ConsumerConfig.defaults().withMaxPollBytes(250))) {
                java.util.List<TopicPartition> all = java.util.List.of(new TopicPartition("orders", 0),
                        new TopicPartition("orders", 1), new TopicPartition("orders", 2));
                consumer.assign(all);
                consumer.seekToBeginning(all);
                java.util.List<io.tributary.log.LogRecord> batch = java.util.List.of();
                for (int i = 0; i < 10 && batch.isEmpty(); i++) {
                    batch = consumer.poll(Duration.ofMillis(100));
                }
                // The skipped record's bytes go back on the budget: partition 2's 40 bytes fit in the 50 left.
                assertThat(batch).extracting(r -> new String(r.value(), StandardCharsets.UTF_8).charAt(0))
                        .containsExactly('a', 'b', 'e', 'f');
            }
        }
    }

    @Test
    void theEmbeddedBackendIsTheDefaultAndReadsItsDataDirSetting() {
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()))) {
            assertThat(log.backend()).isEqualTo("embedded");
            assertThat(log.capabilities()).containsExactlyInAnyOrder(Capability.CONSUMER_GROUPS,
                    Capability.TIMESTAMP_SEEK, Capability.RETENTION, Capability.COMPACTION, Capability.DURABILITY_MODES);
            log.admin().createTopic(NewTopic.of("orders", 4));
            assertThat(log.admin().listTopics()).containsExactly("orders");
            AppendResult r = log.producer().append("orders", Record.of(b("customer-7"), b("v"))).join();
            assertThat(r.partition()).isEqualTo(KeyPartitioner.partitionForKey(b("customer-7"), 4));
            assertThat(log.admin().describeTopic("orders").recordCountEstimate()).isEqualTo(1);
            assertThatThrownBy(() -> log.transactionalProducer("tx", ProducerConfig.defaults()))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.CAPABILITY_UNSUPPORTED));
        }
        assertThat(dir.resolve("orders-0")).isDirectory();
        assertThat(dir.resolve("topics.properties")).exists();
    }

    @Test
    void unknownAndBadEmbeddedSettingsAreAllReportedAtOnce() {
        assertThatThrownBy(() -> EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString(),
                "tributary.log.embedded.colour", "blue", EmbeddedLogConfig.REPAIR, "maybe",
                EmbeddedLogConfig.CLEANER_INTERVAL_MS, "-1")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContainingAll("3 problems", "unknown setting 'tributary.log.embedded.colour'",
                        "repair='maybe'", "cleaner-interval-ms='-1'");
    }

    @Test
    void theConfigReportsEveryBadFieldAtOnce() {
        assertThatThrownBy(() -> new EmbeddedLogConfig(dir, Duration.ZERO, Duration.ofDays(2), false, 1, false, 0, -1))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContainingAll("5 problems", "cleanerInterval", "checkpointInterval", "indexIntervalBytes",
                        "autoCreatePartitions", "segmentPreallocateBytes=-1 must be between 0 (off)");
        EmbeddedLogConfig d = EmbeddedLogConfig.defaults();
        assertThat(d.dataDir()).isEqualTo(Path.of("data"));
        assertThat(d.repairOnOpen()).isFalse();
        assertThat(EmbeddedLogConfig.fromSettings(Map.of("other.setting", "x"))).isEqualTo(d);
    }

    @Test
    void keylessRecordsAreSpreadRoundRobin() {
        try (EventLog log = EmbeddedLog.open(EmbeddedLogConfig.at(dir))) {
            log.admin().createTopic(new NewTopic("t", 3, io.tributary.log.TopicConfig.of(Map.of("fsync", "never"))));
            LogProducer p = log.producer();
            CompletableFuture<?>[] fs = new CompletableFuture<?>[300];
            for (int i = 0; i < 300; i++) {
                fs[i] = p.append("t", Record.of(null, b("v" + i)));
            }
            CompletableFuture.allOf(fs).join();
            assertThat(log.admin().describeTopic("t").partitions())
                    .allSatisfy(pd -> assertThat(pd.endOffset()).isEqualTo(100));
        }
    }

    @Test
    void aLongPollWakesAsSoonAsARecordIsAppended() throws Exception {
        try (EmbeddedEventLog log = EmbeddedEventLog.open(EmbeddedLogConfig.at(dir))) {
            EmbeddedStorage reads = log.storage();
            log.admin().createTopic(NewTopic.of("t", 1));
            long seen = reads.changeCount();
            CompletableFuture<Long> woke = CompletableFuture.supplyAsync(() -> {
                try {
                    long t0 = System.nanoTime();
                    reads.awaitChange(seen, TimeUnit.SECONDS.toNanos(30));
                    return System.nanoTime() - t0;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(50);
            log.producer().append("t", 0, Record.of(null, b("x"))).join();
            assertThat(woke.get(10, TimeUnit.SECONDS)).isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(reads.read(new TopicPartition("t", 0), 0, 10, 1000)).hasSize(1);
            assertThat(reads.awaitChange(reads.changeCount(), TimeUnit.MILLISECONDS.toNanos(20)))
                    .as("times out unchanged").isEqualTo(reads.changeCount());
        }
    }

    @Test
    void closingTheLogFlushesItsProducersAndReleasesTheFolder() {
        EventLog log = EmbeddedLog.open(EmbeddedLogConfig.at(dir));
        log.admin().createTopic(NewTopic.of("t", 1));
        CompletableFuture<AppendResult> f = log.producer().append("t", 0, Record.of(null, b("x")));
        log.close();
        assertThat(f).isCompleted();
        try (EventLog again = EmbeddedLog.open(EmbeddedLogConfig.at(dir))) {
            assertThat(again.admin().describeTopic("t").partitions().get(0).endOffset()).isEqualTo(1);
        }
    }
}
