package io.tributary.eventstore.embedded;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.internal.embedded.EmbeddedEventStore;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child JVM of {@link EmbeddedCrashTest}: opens the store in {@code args[0]} and appends from four threads
 * until it is killed, printing {@code ACK <stream> <version> <eventId>} for every event of every acknowledged append.
 */
public final class CrashAppender {

    private CrashAppender() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        EmbeddedEventStore store = EmbeddedStores.open(Path.of(args[0]), Integer.parseInt(args[1]));
        out.println("OPEN recovered=" + store.recoveredRecords());
        out.flush();
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String stream = "crash-" + t;
            writers.add(Thread.ofPlatform().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (true) {
                    List<EventData> batch = new ArrayList<>();
                    for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
                        batch.add(EventData.of("Crashy", ("payload-" + random.nextLong()).getBytes(StandardCharsets.UTF_8)));
                    }
                    WriteResult r = store.append(stream, ExpectedVersion.any(), batch);
                    StringBuilder sb = new StringBuilder();
                    long first = r.lastVersion() - batch.size() + 1;
                    for (int i = 0; i < batch.size(); i++) {
                        sb.append("ACK ").append(stream).append(' ').append(first + i).append(' ')
                                .append(batch.get(i).eventId()).append('\n');
                    }
                    synchronized (out) {
                        out.print(sb);
                        out.flush();
                    }
                }
            }));
        }
        for (Thread w : writers) {
            w.join();
        }
    }
}
