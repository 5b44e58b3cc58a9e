package io.tributary.log;

import io.tributary.core.InvalidRequestException;
import java.util.Objects;

/**
 * A topic to create.
 *
 * @param name       a legal topic name ({@link TopicNameRule})
 * @param partitions number of partitions, 1 to 10,000
 * @param config     its configuration
 */
public record NewTopic(String name, int partitions, TopicConfig config) {

    public static final int MAX_PARTITIONS = 10_000;

    public NewTopic {
        TopicNameRule.validate(name);
        Objects.requireNonNull(config, "config");
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new InvalidRequestException(LogErrors.INVALID_PARTITION_COUNT, "Topic '" + name + "' cannot have "
                    + partitions + " partitions; use between 1 and " + MAX_PARTITIONS + ", e.g. --partitions 8.");
        }
    }

    public static NewTopic of(String name, int partitions) {
        return new NewTopic(name, partitions, TopicConfig.defaults());
    }
}
