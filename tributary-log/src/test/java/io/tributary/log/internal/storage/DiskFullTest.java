package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write that fails for lack of room (simulated with a file-size limit, {@code ulimit -f}, in a child JVM, which
 * fails writes with EFBIG as a full disk fails them with ENOSPC) is reported as {@code DISK_FULL} naming the file,
 * and every acknowledged record stays intact and readable.
 */
@Tag("slow")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DiskFullTest {

    @TempDir
    Path dir;

    @Test
    void aFullDiskFailsTheAppendNamingThePathAndKeepsAcknowledgedRecords() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -f 4096 && exec '" + java + "' -Xmx128m -XX:TieredStopAtLevel=1 -cp '"
                + System.getProperty("java.class.path") + "' " + DiskFullChild.class.getName() + " '" + dir + "'";
        Process child = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> acks = lines.stream().filter(l -> l.startsWith("ACK ")).toList();
        List<String> errors = lines.stream().filter(l -> l.startsWith("ERR ")).toList();
        assertThat(acks).as("output: %s", lines).hasSizeGreaterThan(100);
        assertThat(errors).as("output: %s", lines).hasSize(2).allSatisfy(e -> assertThat(e)
                .startsWith("ERR DISK_FULL")
                .contains(dir.resolve("full-0").resolve("00000000000000000000.log").toString())
                .contains("acknowledged records are intact"));
        TopicPartition tp = new TopicPartition("full", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.endOffset(tp)).isEqualTo(acks.size());
            List<LogRecord> all = s.read(tp, 0, acks.size(), Long.MAX_VALUE);
            for (int i = 0; i < acks.size(); i++) {
                String[] f = acks.get(i).split(" ");
                assertThat(all.get(i).offset()).isEqualTo(Long.parseLong(f[1]));
                assertThat(all.get(i).value()).hasSize(2000).containsOnly(Byte.parseByte(f[2]));
            }
            StorageFixture.producer(s).append("full", 0, record("k", "after the disk has room again", 1)).join();
            assertThat(s.endOffset(tp)).isEqualTo(acks.size() + 1);
        }
    }
}
