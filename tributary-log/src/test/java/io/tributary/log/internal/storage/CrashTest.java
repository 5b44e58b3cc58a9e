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
import java.util.Arrays;
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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The durability claim of {@code fsync=always}: a child JVM ({@link CrashChild}) appends and prints every
 * acknowledged offset; this test kills it with SIGKILL at a random moment, reopens the log and checks that every
 * acknowledged record is there byte for byte, offsets are contiguous and nothing is duplicated. 20 rounds on one
 * folder, once per {@link CrashChild.Mode}: the future form of {@code append}, and the callback form (keyed and to an
 * explicit partition, two partitions), whose acknowledgements come straight from the sync thread with no future, and
 * some of whose callbacks throw: every acknowledgement after a throw must hold as well, and each partition's
 * acknowledgements must arrive in offset order. Re-run a failure with {@code -Dtributary.crash.seed=<seed printed in
 * the test output>}. The child preallocates its segments, so the kills also leave zero tails, which recovery must
 * take as the end (appends then continue at the right offset) without losing an acknowledged record.
 */
@Tag("slow")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class CrashTest {

    private static final int ROUNDS = 20;
    private static final String TOPIC = "crash";

    @TempDir
    Path dir;

    private record Ack(long crc, String key) {
    }

    @ParameterizedTest
    @EnumSource(CrashChild.Mode.class)
    void everyAcknowledgedRecordSurvivesSigkillByteForByte(CrashChild.Mode mode) throws Exception {
        long seed = Long.getLong("tributary.crash.seed", System.nanoTime());
        System.out.println("CrashTest " + mode + " seed=" + seed + " (re-run with -Dtributary.crash.seed=" + seed + ")");
        Random rnd = new Random(seed);
        List<Map<Long, Ack>> acked = new ArrayList<>();
        for (int p = 0; p < mode.partitions; p++) {
            acked.add(new HashMap<>());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long totalAcks = 0;
        long threw = 0;
        long ackedAfterAThrow = 0;
        int zeroTails = 0;
        Path errFile = dir.resolveSibling(dir.getFileName() + "-child.err");
        long[] endBefore = new long[mode.partitions]; // each partition's end when the round's child starts
        for (int round = 0; round < ROUNDS; round++) {
            Process child = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), dir.toString(),
                    String.valueOf(round), String.valueOf(seed + round), mode.name())
                    .redirectError(ProcessBuilder.Redirect.appendTo(errFile.toFile()))
                    .start();
            List<String> lines = new ArrayList<>();
            // a failed assertion, or the timeout interrupting a wait, must not leave the child appending and holding
            // the data folder's lock (it would outlive the test, and the next round or test could not open it)
            try {
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
            } finally {
                // wait for it too: a child still dying holds the folder lock, and the next round or test would fail
                child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            int acksThisRound = 0;
            boolean[] aThrowSeen = new boolean[mode.partitions];
            long[] told = new long[mode.partitions];
            long[] lastOffset = new long[mode.partitions];
            Arrays.fill(lastOffset, -1);
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.split(" ");
                    assertThat(f[0]).as("a failed append in round %d: %s (its stack is in %s)", round, line, errFile)
                            .isNotEqualTo("FAIL");
                    if (f.length < 5 || !f[0].equals("ACK")) {
                        continue; // a line torn by the kill was never a complete acknowledgement
                    }
                    int partition = Integer.parseInt(f[1]);
                    long offset = Long.parseLong(f[2]);
                    Ack previous = acked.get(partition).put(offset, new Ack(Long.parseLong(f[3]), f[4]));
                    assertThat(previous).as("offset %s of partition %d acknowledged twice", offset, partition).isNull();
                    if (mode == CrashChild.Mode.CALLBACK) {
                        // AppendCallback's ordering claim: results arrive in offset order per partition
                        assertThat(offset).as("callback of partition %d told offset %d after offset %d in round %d",
                                partition, offset, lastOffset[partition], round).isGreaterThan(lastOffset[partition]);
                    }
                    lastOffset[partition] = offset;
                    told[partition]++;
                    if (aThrowSeen[partition]) {
                        ackedAfterAThrow++;
                    }
                    if (f.length > 5 && f[5].equals("THREW")) {
                        aThrowSeen[partition] = true;
                        threw++;
                    }
                    acksThisRound++;
                }
            }
            totalAcks += acksThisRound;
            for (int p = 0; p < mode.partitions; p++) {
                if (endsInZeros(dir.resolve(TOPIC + "-" + p))) {
                    zeroTails++;
                }
            }
            if (mode == CrashChild.Mode.CALLBACK) {
                // One thread tells a partition's callbacks, in offset order, each printing before the next is told;
                // so whenever the kill lands, the records told this round are every record from the round's first
                // offset up to the last told one: a gap is an append the log never told, e.g. one left behind when
                // another's callback threw.
                for (int p = 0; p < mode.partitions; p++) {
                    if (told[p] > 0) {
                        assertThat(lastOffset[p] - endBefore[p] + 1)
                                .as("offsets %d..%d of partition %d written in round %d, every one of them told",
                                        endBefore[p], lastOffset[p], p, round)
                                .isEqualTo(told[p]);
                    }
                }
            }
            endBefore = verify(acked, round);
        }
        System.out.println("CrashTest " + mode + ": " + ROUNDS + " kills, " + totalAcks + " acknowledged records, all "
                + "present; " + zeroTails + " partition tails left preallocated zeros; " + threw + " callbacks threw, "
                + ackedAfterAThrow + " records acknowledged after a throw");
        assertThat(totalAcks).as("the child acknowledged records at all").isPositive();
        assertThat(zeroTails).as("kills that left a zero tail (the child preallocates)").isPositive();
        for (int p = 0; p < mode.partitions; p++) {
            assertThat(acked.get(p)).as("acknowledgements of partition %d (the child appends to each)", p).isNotEmpty();
        }
        if (mode == CrashChild.Mode.CALLBACK) {
            assertThat(threw).as("callbacks that threw (every %dth does)", CrashChild.THROW_EVERY).isPositive();
            assertThat(ackedAfterAThrow).as("records acknowledged after a callback threw").isPositive();
        }
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

    /** Checks every partition after a kill; returns their end offsets, where the next round's appends start. */
    private long[] verify(List<Map<Long, Ack>> acked, int round) {
        long[] ends = new long[acked.size()];
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            for (int p = 0; p < acked.size(); p++) {
                ends[p] = verifyPartition(s, new TopicPartition(TOPIC, p), acked.get(p), round);
            }
        }
        return ends;
    }

    private static long verifyPartition(EmbeddedStorage s, TopicPartition tp, Map<Long, Ack> acked, int round) {
        long end = s.endOffset(tp);
        List<LogRecord> all = new ArrayList<>();
        long next = 0;
        while (next < end) {
            List<LogRecord> got = s.read(tp, next, 10_000, Long.MAX_VALUE);
            all.addAll(got);
            next = got.get(got.size() - 1).offset() + 1;
        }
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < all.size(); i++) {
            LogRecord r = all.get(i);
            assertThat(r.offset()).as("contiguous offsets of %s after round %d", tp, round).isEqualTo(i);
            assertThat(keys.add(new String(r.key(), StandardCharsets.UTF_8))).as("no duplicate of %s", r).isTrue();
        }
        for (Map.Entry<Long, Ack> e : acked.entrySet()) {
            long offset = e.getKey();
            assertThat(offset).as("acknowledged offset %d of %s is below the end %d after round %d", offset, tp, end,
                    round).isLessThan(end);
            LogRecord r = all.get((int) offset);
            CRC32C crc = new CRC32C();
            crc.update(r.value());
            assertThat(crc.getValue()).as("bytes of offset %d of %s", offset, tp).isEqualTo(e.getValue().crc());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getValue().key());
        }
        return end;
    }
}
