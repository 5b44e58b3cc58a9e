package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability claim of {@code fsync=always}: a child JVM ({@link CrashChild}) appends and prints every
 * acknowledged offset; this test kills it with SIGKILL at a random moment, reopens the log and checks that every
 * acknowledged record is there byte for byte, offsets are contiguous and nothing is duplicated. 20 rounds on one
 * folder. Re-run a failure with {@code -Dtributary.crash.seed=<seed printed in the test output>}. The child
 * preallocates its segments, so the kills also leave zero tails, which recovery must take as the end (appends then
 * continue at the right offset) without losing an acknowledged record.
 */
@Tag("slow")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CrashTest {

    private static final int ROUNDS = 20;
    private static final TopicPartition TP = new TopicPartition("crash", 0);

    @TempDir
    Path dir;

    private record Ack(long crc, String key) {
    }

    @Test
    void everyAcknowledgedRecordSurvivesSigkillByteForByte() throws Exception {
        long seed = Long.getLong("tributary.crash.seed", System.nanoTime());
        System.out.println("CrashTest seed=" + seed + " (re-run with -Dtributary.crash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Map<Long, Ack> acked = new HashMap<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long totalAcks = 0;
        int zeroTails = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process child = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), dir.toString(),
                    String.valueOf(round), String.valueOf(seed + round))
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolveSibling(dir.getFileName() + "-child.err").toFile()))
                    .start();
            List<String> lines = new ArrayList<>();
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.equals("READY")) {
                            ready.countDown();
                        } else {
                            synchronized (lines) {
                                lines.add(line);
                            }
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the pipe closes when the child dies
                }
            });
            assertThat(ready.await(60, TimeUnit.SECONDS)).as("child of round %d became ready", round).isTrue();
            if (round == 0) {
                assertThatThrownBy(() -> StorageFixture.open(dir))
                        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(LogErrors.DATA_DIR_LOCKED))
                        .hasMessageContaining(dir.toAbsolutePath().toString())
                        .hasMessageContaining("process " + child.pid());
            }
            Thread.sleep(rnd.nextInt(600));
            child.destroyForcibly(); // SIGKILL on Linux
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            reader.join(30_000);
            int acksThisRound = 0;
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.split(" ");
                    if (f.length != 4 || !f[0].equals("ACK")) {
                        continue; // a line torn by the kill was never a complete acknowledgement
                    }
                    Ack previous = acked.put(Long.parseLong(f[1]), new Ack(Long.parseLong(f[2]), f[3]));
                    assertThat(previous).as("offset %s acknowledged twice", f[1]).isNull();
                    acksThisRound++;
                }
            }
            totalAcks += acksThisRound;
            if (endsInZeros(dir.resolve(TP.topic() + "-" + TP.partition()))) {
                zeroTails++;
            }
            verify(acked, round);
        }
        System.out.println("CrashTest: " + ROUNDS + " kills, " + totalAcks + " acknowledged records, all present; "
                + zeroTails + " kills left a preallocated zero tail");
        assertThat(totalAcks).as("the child acknowledged records at all").isPositive();
        assertThat(zeroTails).as("kills that left a zero tail (the child preallocates)").isPositive();
    }

    /** Whether the partition's last segment file ends in a block of zeros: the kill left a preallocated tail. */
    private static boolean endsInZeros(Path partitionDir) throws java.io.IOException {
        Path last;
        try (var files = java.nio.file.Files.list(partitionDir)) {
            last = files.filter(p -> p.getFileName().toString().endsWith(Segment.LOG_SUFFIX)).max(Path::compareTo).orElse(null);
        }
        if (last == null || java.nio.file.Files.size(last) < 4096) {
            return false;
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(last);
        for (int i = bytes.length - 4096; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private void verify(Map<Long, Ack> acked, int round) {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            long end = s.endOffset(TP);
            List<LogRecord> all = new ArrayList<>();
            long next = 0;
            while (next < end) {
                List<LogRecord> got = s.read(TP, next, 10_000, Long.MAX_VALUE);
                all.addAll(got);
                next = got.get(got.size() - 1).offset() + 1;
            }
            Set<String> keys = new HashSet<>();
            for (int i = 0; i < all.size(); i++) {
                LogRecord r = all.get(i);
                assertThat(r.offset()).as("contiguous offsets after round %d", round).isEqualTo(i);
                assertThat(keys.add(new String(r.key(), StandardCharsets.UTF_8))).as("no duplicate of %s", r).isTrue();
            }
            for (Map.Entry<Long, Ack> e : acked.entrySet()) {
                long offset = e.getKey();
                assertThat(offset).as("acknowledged offset %d is below the end %d after round %d", offset, end, round).isLessThan(end);
                LogRecord r = all.get((int) offset);
                CRC32C crc = new CRC32C();
                crc.update(r.value());
                assertThat(crc.getValue()).as("bytes of offset %d", offset).isEqualTo(e.getValue().crc());
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getValue().key());
            }
        }
    }
}
