package io.tributary.projection.internal;

import io.tributary.projection.EventStoreSource;
import io.tributary.projection.LogTopicSource;
import io.tributary.projection.ProjectionLag;
import io.tributary.projection.ProjectionSource;
import java.util.Map;

/** Readers and lag for each kind of source. */
final class Sources {

    private Sources() {
    }

    @SuppressWarnings("unchecked")
    static <E> SourceReader<E> reader(ProjectionSource<E> source, String clientId, int maxBatch) {
        return switch (source) {
            case LogTopicSource l -> (SourceReader<E>) new LogTopicReader(l, clientId, maxBatch);
            case EventStoreSource s -> (SourceReader<E>) new EventStoreReader(s);
        };
    }

    static ProjectionLag lag(ProjectionSource<?> source, Map<String, Long> checkpoints, long countLimit,
                             boolean withTime) {
        return switch (source) {
            case LogTopicSource l -> LogTopicReader.lag(l, checkpoints, withTime);
            case EventStoreSource s -> EventStoreReader.lag(s, checkpoints, countLimit);
        };
    }

    /** A long-lived lag probe for the metrics sampler. */
    static LagProbe lagProbe(ProjectionSource<?> source, String clientId, long countLimit) {
        return switch (source) {
            case LogTopicSource l -> new LogTopicLagProbe(l, clientId);
            case EventStoreSource s -> new EventStoreLagProbe(s, countLimit);
        };
    }
}
