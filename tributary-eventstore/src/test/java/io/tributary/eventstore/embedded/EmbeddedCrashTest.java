package io.tributary.eventstore.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.internal.embedded.EmbeddedEventStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kill -9 while appending and while checkpointing: a child JVM appends from four threads and is SIGKILLed at a random
 * moment, ten times over on the same store. Every other round checkpoints the index every 20 records (a delta frame
 * appended and fsynced that often, a new base whenever the delta file outgrew the last), so kills land inside
 * checkpoint writes too. After every kill the store reopens, every acknowledged event is there at its version, the
 * streams have no gaps, and the stream index (base, delta frames, replay) equals one rebuilt from the whole log.
 */
@Tag("slow")
@Timeout(value = 170, unit = TimeUnit.SECONDS)
class EmbeddedCrashTest {

    private static final int ROUNDS = 10;
    private static final int CHECKPOINT_EVERY = 200;
    /** The rounds that checkpoint this often are mostly writing a checkpoint when the kill lands. */
    private static final int CHECKPOINT_OFTEN = 20;

    @Test
    void everyAcknowledgedAppendSurvivesSigkillAndTheIndexMatchesTheLog() throws Exception {
        Path dir = EmbeddedStores.newDir();
        long seed = System.nanoTime();
        System.out.println("EmbeddedCrashTest seed=" + seed);
        Random random = new Random(seed);
        Map<String, String> acked = new HashMap<>(); // eventId -> "stream version"
        long mostDeltaBytes = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            int checkpointEvery = round % 2 == 0 ? CHECKPOINT_OFTEN : CHECKPOINT_EVERY;
            int killAfterAcks = 20 + random.nextInt(400);
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashAppender.class.getName(),
                    dir.toString(), Integer.toString(checkpointEvery))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            int acks = 0;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                long deadline = System.currentTimeMillis() + 20_000;
                while (acks < killAfterAcks && System.currentTimeMillis() < deadline && (line = out.readLine()) != null) {
                    if (line.startsWith("ACK ")) {
                        String[] p = line.split(" ");
                        acked.put(p[3], p[1] + " " + p[2]);
                        acks++;
                    }
                }
                child.toHandle().destroyForcibly(); // SIGKILL on Linux; unlike Process.destroy it leaves stdout open
                child.waitFor(20, TimeUnit.SECONDS);
                // acks printed before the kill landed are acknowledged too
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("ACK ")) {
                        String[] p = line.split(" ");
                        acked.put(p[3], p[1] + " " + p[2]);
                    }
                }
            } finally {
                if (child.isAlive()) {
                    child.destroyForcibly();
                }
            }
            assertThat(acks).as("round %d: the child acknowledged appends before the kill", round).isPositive();
            Path delta = dir.resolve("index").resolve("stream-index.delta");
            if (java.nio.file.Files.exists(delta)) {
                mostDeltaBytes = Math.max(mostDeltaBytes, java.nio.file.Files.size(delta));
            }
            checkStore(dir, acked, round, checkpointEvery);
        }
        assertThat(mostDeltaBytes).as("some kill found delta frames after the base (the incremental path ran)")
                .isGreaterThan(8);
    }

    private static void checkStore(Path dir, Map<String, String> acked, int round, int checkpointEvery) {
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, CHECKPOINT_EVERY)) {
            Map<String, String> found = new HashMap<>();
            long records = 0;
            for (int t = 0; t < 4; t++) {
                String stream = "crash-" + t;
                List<RecordedEvent> events = new ArrayList<>();
                long from = 0;
                while (true) {
                    List<RecordedEvent> page = store.readStreamForward(stream, from, 1000);
                    events.addAll(page);
                    if (page.size() < 1000) {
                        break;
                    }
                    from = page.getLast().version() + 1;
                }
                for (int i = 0; i < events.size(); i++) {
                    assertThat(events.get(i).version()).as("round %d: %s has no gap", round, stream).isEqualTo(i);
                    found.put(events.get(i).eventId().toString(), stream + " " + i);
                }
                records += events.size();
            }
            for (Map.Entry<String, String> a : acked.entrySet()) {
                assertThat(found.get(a.getKey())).as("round %d: acknowledged event %s", round, a.getKey()).isEqualTo(a.getValue());
            }
            assertThat(store.indexFingerprint()).as("round %d: index from checkpoint + replay equals a full rebuild", round)
                    .isEqualTo(store.rebuiltIndexFingerprint());
            System.out.printf("round %d: %d acknowledged events, %d stored, reopen replayed %d log records%n",
                    round, acked.size(), records, store.recoveredRecords());
            // Bounded recovery: the child checkpointed every checkpointEvery records (a kill inside a checkpoint
            // loses at most that one; appends go on while it is written), and the previous round's reopen closed with
            // a checkpoint of everything. In the rounds that checkpoint often, most kills come after more records
            // than this bound, so a checkpoint that stopped being written or loaded fails here.
            assertThat(store.recoveredRecords()).as("round %d: recovery replays only the tail after the child's last "
                    + "checkpoint (every %d records; %d events in the store)", round, checkpointEvery, records)
                    .isLessThanOrEqualTo(4L * checkpointEvery);
        }
    }
}
