package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.TopicPartition;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM that commits offsets ({@link OffsetCommitChild}) with SIGKILL at random moments, 25 times over
 * the same folder; after each kill the store must hold, for every partition, the last acknowledged commit or the one
 * that was in flight, never anything older or invented. The seed is printed; rerun one with
 * {@code -Dtributary.crash.seed=<seed>}.
 */
@Tag("slow")
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class OffsetStoreCrashTest {

    private static final int ROUNDS = 25;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedCommitSurvivesSigkill() throws Exception {
        long seed = Long.getLong("tributary.crash.seed", System.nanoTime());
        System.out.println("OffsetStoreCrashTest seed=" + seed);
        Random random = new Random(seed);
        // What the store is known to hold: the last acknowledged commit, or what the previous reopen found (an
        // in-flight commit of an earlier round may have become durable without its ack being seen).
        long[] acked = null;
        int totalAcks = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Round r = runAndKill(random.nextLong(), 30 + random.nextInt(400));
            long[] lastTry = r.lastTry;
            if (r.lastAck != null) {
                acked = r.lastAck;
            }
            totalAcks += r.acks;
            Map<TopicPartition, Long> recovered;
            try (OffsetStore store = OffsetStore.open(dir)) {
                recovered = store.committed(OffsetCommitChild.GROUP);
                System.out.println("round " + round + ": " + r.acks + " acks, torn bytes cut on reopen: "
                        + store.tornBytesDropped() + ", recovered " + new java.util.TreeMap<>(recovered));
            }
            for (int p = 0; p < OffsetCommitChild.PARTITIONS; p++) {
                Long got = recovered.get(new TopicPartition("t", p));
                // The last acknowledged value (none before the first ack), or the commit that was in flight.
                List<Long> allowed = new ArrayList<>();
                allowed.add(acked == null ? null : acked[p]);
                if (lastTry != null) {
                    allowed.add(lastTry[p]);
                }
                String where = "seed=" + seed + " round=" + round + " partition t-" + p;
                assertThat(allowed).as(where + ": recovered " + got + ", expected the last ack or the commit in "
                        + "flight " + allowed).contains(got);
            }
            if (!recovered.isEmpty()) {
                acked = new long[OffsetCommitChild.PARTITIONS];
                for (int p = 0; p < acked.length; p++) {
                    acked[p] = recovered.get(new TopicPartition("t", p));
                }
            }
        }
        assertThat(totalAcks).as("the child acknowledged commits before being killed (seed=" + seed + ")")
                .isGreaterThan(ROUNDS);
    }

    private record Round(long[] lastTry, long[] lastAck, int acks) {
    }

    private Round runAndKill(long childSeed, long killAfterMs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), OffsetCommitChild.class.getName(), dir.toString(),
                Long.toString(childSeed));
        pb.redirectError(dir.resolveSibling(dir.getFileName() + "-child-stderr.txt").toFile());
        Process child = pb.start();
        CountDownLatch ready = new CountDownLatch(1);
        long[][] lastTry = {null};
        long[][] lastAck = {null};
        int[] acks = {0};
        Thread reader = Thread.ofPlatform().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.equals("ready")) {
                        ready.countDown();
                        continue;
                    }
                    String[] parts = line.split(" ");
                    if (parts.length != 1 + OffsetCommitChild.PARTITIONS) {
                        continue; // cut off by the kill
                    }
                    long[] values = new long[OffsetCommitChild.PARTITIONS];
                    try {
                        for (int i = 0; i < values.length; i++) {
                            values[i] = Long.parseLong(parts[i + 1]);
                        }
                    } catch (NumberFormatException cut) {
                        continue;
                    }
                    synchronized (lastTry) {
                        if (parts[0].equals("try")) {
                            lastTry[0] = values;
                        } else if (parts[0].equals("ack")) {
                            lastAck[0] = values;
                            acks[0]++;
                        }
                    }
                }
            } catch (IOException endOfChild) {
                // the pipe closes when the child dies
            }
        });
        try {
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("child did not start; see " + dir.resolveSibling(dir.getFileName()
                        + "-child-stderr.txt"));
            }
            Thread.sleep(killAfterMs);
        } finally {
            // SIGKILL, as Process.destroyForcibly() sends, but through the handle: Process.destroyForcibly() also
            // closes our end of the child's stdout, dropping acknowledgements still in the pipe unread.
            child.toHandle().destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
        }
        synchronized (lastTry) {
            return new Round(lastTry[0], lastAck[0], acks[0]);
        }
    }
}
