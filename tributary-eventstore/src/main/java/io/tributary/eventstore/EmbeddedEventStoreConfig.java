package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the embedded backend (the event store on Tributary's log engine). Immutable.
 *
 * @param topic                 the one-partition topic that is the store's log; created on first open with
 *                              {@code fsync=always} and {@code retention.ms=-1}; default {@code tributary-eventstore}
 * @param indexDirectory        where the stream index checkpoint is kept (any local directory, e.g. next to the
 *                              log's data)
 * @param checkpointEveryRecords checkpoint the index after this many log records (default 10,000): opening the store
 *                              replays at most about this many records. A checkpoint appends the changes since the
 *                              last one to the index's delta file; the whole index is rewritten only when the delta
 *                              file has outgrown it, so checkpoints cost in proportion to the records appended
 * @param readerPoolSize        most concurrent log readers (default 4)
 */
public record EmbeddedEventStoreConfig(String topic, Path indexDirectory, int checkpointEveryRecords, int readerPoolSize) {

    public EmbeddedEventStoreConfig {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(indexDirectory, "indexDirectory");
        List<String> problems = new ArrayList<>();
        if (topic.isBlank()) {
            problems.add("topic is blank; the default is tributary-eventstore");
        }
        if (checkpointEveryRecords < 1) {
            problems.add("checkpointEveryRecords=" + checkpointEveryRecords + " must be at least 1 (default 10000)");
        }
        if (readerPoolSize < 1) {
            problems.add("readerPoolSize=" + readerPoolSize + " must be at least 1 (default 4)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid embedded event store config: " + String.join("; ", problems));
        }
    }

    /** Defaults, with the index checkpoint in {@code indexDirectory}. */
    public static EmbeddedEventStoreConfig of(Path indexDirectory) {
        return new EmbeddedEventStoreConfig("tributary-eventstore", indexDirectory, 10_000, 4);
    }

    public EmbeddedEventStoreConfig withTopic(String v) {
        return new EmbeddedEventStoreConfig(v, indexDirectory, checkpointEveryRecords, readerPoolSize);
    }

    public EmbeddedEventStoreConfig withCheckpointEveryRecords(int v) {
        return new EmbeddedEventStoreConfig(topic, indexDirectory, v, readerPoolSize);
    }

    public EmbeddedEventStoreConfig withReaderPoolSize(int v) {
        return new EmbeddedEventStoreConfig(topic, indexDirectory, checkpointEveryRecords, v);
    }
}
