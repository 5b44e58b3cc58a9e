package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SegmentRollTest {

    @TempDir
    Path dir;

    @Test
    void aFullSegmentRollsIntoANewFileNamedByItsBaseOffsetAndTheRecoveryPointFollows() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576"));
            List<Record> rs = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                rs.add(record(null, "v" + i + "x".repeat(250), i));
            }
            StorageFixture.producer(s).appendAll("t", rs).join();
            List<Path> logs;
            try (Stream<Path> files = Files.list(dir.resolve("t-0"))) {
                logs = files.filter(p -> p.toString().endsWith(".log")).sorted().toList();
            }
            assertThat(logs).hasSizeGreaterThanOrEqualTo(3);
            assertThat(logs.get(0).getFileName().toString()).isEqualTo("00000000000000000000.log");
            for (int i = 0; i + 1 < logs.size(); i++) {
                assertThat(Files.size(logs.get(i))).isLessThanOrEqualTo(1_048_576);
                long nextBase = Long.parseLong(logs.get(i + 1).getFileName().toString().substring(0, 20));
                assertThat(s.read(tp, nextBase - 1, 2, Long.MAX_VALUE)).extracting(r -> r.offset())
                        .containsExactly(nextBase - 1, nextBase);
                assertThat(dir.resolve("t-0").resolve(logs.get(i).getFileName().toString().replace(".log", ".index"))).exists();
            }
            RecoveryCheckpoint cp = RecoveryCheckpoint.read(dir.resolve("t-0")).orElseThrow();
            assertThat(cp.segmentBase()).isEqualTo(Long.parseLong(logs.get(logs.size() - 1).getFileName().toString().substring(0, 20)));
        }
    }

    @Test
    void theRecoveryCheckpointRoundTripsAndRejectsDamage() throws Exception {
        RecoveryCheckpoint cp = new RecoveryCheckpoint(42, 40, 1234);
        cp.writeTo(dir);
        assertThat(RecoveryCheckpoint.read(dir)).contains(cp);
        byte[] bytes = Files.readAllBytes(dir.resolve(RecoveryCheckpoint.FILE_NAME));
        bytes[10] ^= 1;
        Files.write(dir.resolve(RecoveryCheckpoint.FILE_NAME), bytes);
        assertThat(RecoveryCheckpoint.read(dir)).isEmpty();
    }

    @Test
    void theTimestampSearchFindsTheFirstRecordAtOrAfterTheTime() {
        TopicPartition tp = new TopicPartition("t", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "fsync", "never"));
            List<Record> rs = new ArrayList<>();
            for (int i = 0; i < 12_000; i++) {
                rs.add(record(null, "v" + i + "x".repeat(100), 10_000 + 10L * i));
            }
            StorageFixture.producer(s).appendAll("t", rs).join();
            assertThat(s.offsetForTimestamp(tp, 0)).hasValue(0);
            assertThat(s.offsetForTimestamp(tp, 10_000 + 10L * 7777)).hasValue(7777);
            assertThat(s.offsetForTimestamp(tp, 10_000 + 10L * 7777 - 5)).hasValue(7777);
            assertThat(s.offsetForTimestamp(tp, 10_000 + 10L * 12_000)).isEmpty();
        }
    }
}
