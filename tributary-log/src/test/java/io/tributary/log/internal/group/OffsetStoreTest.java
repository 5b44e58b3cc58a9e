package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.CorruptionException;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OffsetStoreTest {

    private static final TopicPartition A0 = new TopicPartition("a", 0);
    private static final TopicPartition A1 = new TopicPartition("a", 1);
    private static final TopicPartition B0 = new TopicPartition("b", 0);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(OffsetStore.FILE_NAME);
    }

    @Test
    void reopeningReplaysTheLatestCommitPerGroupAndPartition() {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L, A1, 2L));
            s.commit("g", Map.of(A0, 5L));
            s.commit("h", Map.of(A0, 9L));
        }
        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.committed("g")).isEqualTo(Map.of(A0, 5L, A1, 2L));
            assertThat(s.committed("h")).isEqualTo(Map.of(A0, 9L));
            assertThat(s.groups()).containsExactly("g", "h");
            assertThat(s.tornBytesDropped()).isZero();
        }
    }

    @Test
    void groupAndTopicDeletionsAreReplayedToo() {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L, B0, 2L));
            s.commit("h", Map.of(A0, 3L));
            s.deleteTopic("a");
            s.commit("k", Map.of(B0, 4L));
            s.deleteGroup("k");
        }
        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.groups()).containsExactly("g");
            assertThat(s.committed("g")).isEqualTo(Map.of(B0, 2L));
        }
    }

    @Test
    void aTornLastEntryIsCutOffAndLaterCommitsAppendCleanly() throws IOException {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L));
            s.commit("g", Map.of(A0, 2L));
        }
        long good = Files.size(file());
        byte[] body = OffsetStore.commitBody("g", Map.of(A0, 3L));
        ByteBuffer entry = ByteBuffer.allocate(8 + body.length).putInt(body.length)
                .putInt(OffsetStore.crc(body, 0, body.length)).put(body).flip();
        entry.limit(entry.limit() - 5); // the crash hit before the last bytes reached the disk
        append(entry);

        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.committed("g")).isEqualTo(Map.of(A0, 2L));
            assertThat(s.tornBytesDropped()).isEqualTo(8 + body.length - 5);
            assertThat(Files.size(file())).isEqualTo(good);
            s.commit("g", Map.of(A0, 4L));
        }
        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.committed("g")).isEqualTo(Map.of(A0, 4L));
        }
    }

    @Test
    void aZeroFilledTailLeftByTheFileSystemIsCutOff() throws IOException {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L));
        }
        append(ByteBuffer.allocate(300));
        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.committed("g")).isEqualTo(Map.of(A0, 1L));
            assertThat(s.tornBytesDropped()).isEqualTo(300);
        }
    }

    @Test
    void aDamagedEntryWithLaterEntriesAfterItRefusesToOpenNamingFileAndPosition() throws IOException {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L));
            s.commit("g", Map.of(A0, 2L));
            s.commit("g", Map.of(A0, 3L));
        }
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x7F}), OffsetStore.HEADER_BYTES + 12);
        }
        assertThatThrownBy(() -> OffsetStore.open(dir)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("position " + OffsetStore.HEADER_BYTES)
                .hasMessageContaining("CRC-32C");
    }

    @Test
    void aFileWithoutTheHeaderIsRefused() throws IOException {
        Files.write(file(), "not an offsets file".getBytes());
        assertThatThrownBy(() -> OffsetStore.open(dir)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("magic");
    }

    @Test
    void compactionKeepsTheFileSmallAndEveryLatestOffset() {
        try (OffsetStore s = OffsetStore.open(dir, 1024)) {
            for (int i = 0; i < 300; i++) {
                s.commit("g" + (i % 3), Map.of(A0, (long) i, A1, (long) i * 2));
            }
            assertThat(s.fileSize()).isLessThan(1024 + 200);
            assertThat(Files.exists(dir.resolve(OffsetStore.FILE_NAME + ".tmp"))).isFalse();
        }
        try (OffsetStore s = OffsetStore.open(dir, 1024)) {
            assertThat(s.committed("g0")).isEqualTo(Map.of(A0, 297L, A1, 594L));
            assertThat(s.committed("g1")).isEqualTo(Map.of(A0, 298L, A1, 596L));
            assertThat(s.committed("g2")).isEqualTo(Map.of(A0, 299L, A1, 598L));
        }
    }

    @Test
    void concurrentCommitsShareSyncsAndEachIsVisibleAndDurableOnceReturned() throws Exception {
        int threads = 4;
        int commits = 60;
        try (OffsetStore s = OffsetStore.open(dir, 2048)) {
            List<Thread> workers = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int t = 0; t < threads; t++) {
                TopicPartition tp = new TopicPartition("a", t);
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (long i = 1; i <= commits; i++) {
                            s.commit("g", Map.of(tp, i));
                            if (s.committed("g", tp).orElseThrow() != i) {
                                throw new AssertionError(tp + " not visible at " + i + " after commit returned");
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread w : workers) {
                w.join();
            }
            assertThat(failures).isEmpty();
        }
        try (OffsetStore s = OffsetStore.open(dir)) {
            for (int t = 0; t < threads; t++) {
                assertThat(s.committed("g", new TopicPartition("a", t))).hasValue(commits);
            }
        }
    }

    @Test
    void aLeftoverCompactionTempFileIsIgnoredAndRemoved() throws IOException {
        try (OffsetStore s = OffsetStore.open(dir)) {
            s.commit("g", Map.of(A0, 1L));
        }
        Files.write(dir.resolve(OffsetStore.FILE_NAME + ".tmp"), new byte[] {1, 2, 3});
        try (OffsetStore s = OffsetStore.open(dir)) {
            assertThat(s.committed("g")).isEqualTo(Map.of(A0, 1L));
        }
        assertThat(Files.exists(dir.resolve(OffsetStore.FILE_NAME + ".tmp"))).isFalse();
    }

    private void append(ByteBuffer bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
    }
}
