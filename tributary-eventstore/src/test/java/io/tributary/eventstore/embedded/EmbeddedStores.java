package io.tributary.eventstore.embedded;

import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.internal.embedded.EmbeddedEventStore;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/** Opens embedded stores on a real log engine in temporary folders, removed when the JVM exits. */
public final class EmbeddedStores {

    private static final List<Path> DIRS = new CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> DIRS.forEach(EmbeddedStores::deleteTree)));
    }

    private EmbeddedStores() {
    }

    public static Path newDir() {
        try {
            Path dir = Files.createTempDirectory("tributary-es-");
            DIRS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens (or reopens) the store kept in {@code dir}: the log in {@code dir/log}, the index in {@code dir/index}. */
    public static EmbeddedEventStore open(Path dir, int checkpointEvery) {
        var log = EventLogs.open(Map.of(EventLogs.BACKEND, "embedded", EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
        try {
            return EmbeddedEventStore.open(log, EmbeddedEventStoreConfig.of(dir.resolve("index"))
                    .withCheckpointEveryRecords(checkpointEvery), true);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp files; best effort at exit
        }
    }
}
