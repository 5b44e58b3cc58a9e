package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * How an {@link AggregateRepository} behaves. Immutable.
 *
 * @param maxAttempts   how many times a command is decided when appends keep conflicting (default 4: one try and
 *                      three retries on a freshly loaded state)
 * @param snapshotEvery store a snapshot each time the version crosses a multiple of this; 0 = never (default 0)
 * @param readBatch     events read per page while loading (default 1000)
 */
public record RepositoryConfig(int maxAttempts, int snapshotEvery, int readBatch) {

    public RepositoryConfig {
        List<String> problems = new ArrayList<>();
        if (maxAttempts < 1) {
            problems.add("maxAttempts=" + maxAttempts + " must be at least 1 (default 4)");
        }
        if (snapshotEvery < 0) {
            problems.add("snapshotEvery=" + snapshotEvery + " must be 0 (never) or more");
        }
        if (readBatch < 1) {
            problems.add("readBatch=" + readBatch + " must be at least 1 (default 1000)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid repository config: " + String.join("; ", problems));
        }
    }

    public static RepositoryConfig defaults() {
        return new RepositoryConfig(4, 0, 1000);
    }

    public RepositoryConfig withMaxAttempts(int v) {
        return new RepositoryConfig(v, snapshotEvery, readBatch);
    }

    public RepositoryConfig withSnapshotEvery(int v) {
        return new RepositoryConfig(maxAttempts, v, readBatch);
    }

    public RepositoryConfig withReadBatch(int v) {
        return new RepositoryConfig(maxAttempts, snapshotEvery, v);
    }
}
