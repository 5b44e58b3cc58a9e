package io.tributary.projection;

import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.util.Objects;

/**
 * Every partition of one topic of an {@link EventLog}. Checkpoints are kept per partition, as the next offset to
 * read. Within a partition events arrive in offset order; a batch may hold events of several partitions, each
 * partition's in order. The partition count is read when the projection starts.
 *
 * @param log   the log (not closed by the projection)
 * @param topic the topic to project
 */
public record LogTopicSource(EventLog log, String topic) implements ProjectionSource<LogRecord> {

    public LogTopicSource {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(topic, "topic");
    }
}
