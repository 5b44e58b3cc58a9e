package io.tributary.schema;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.TopicNameRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A registry's settings. Immutable; all problems are reported at once.
 *
 * @param topic              the compacted topic holding the registry's state; default {@code _schemas} (Confluent's)
 * @param defaultCompatibility the level used when neither subject nor registry sets one; default BACKWARD
 * @param maxSchemaBytes     the largest schema text accepted, in UTF-8 bytes; default 921600 (900 KiB, so a stored
 *                           record stays under the log's default 1 MiB record limit)
 * @param storeTimeout       how long a write waits for the log's acknowledgement, and start-up for the replay;
 *                           default 30 s
 */
public record RegistryConfig(String topic, CompatibilityLevel defaultCompatibility, int maxSchemaBytes,
                             Duration storeTimeout) {

    public RegistryConfig {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(defaultCompatibility, "defaultCompatibility");
        Objects.requireNonNull(storeTimeout, "storeTimeout");
        List<String> problems = new ArrayList<>();
        try {
            TopicNameRule.validate(topic);
        } catch (RuntimeException e) {
            problems.add(e.getMessage());
        }
        if (maxSchemaBytes < 1024) {
            problems.add("maxSchemaBytes=" + maxSchemaBytes + " is below 1024; the default is 921600");
        }
        if (storeTimeout.toMillis() < 1) {
            problems.add("storeTimeout=" + storeTimeout + " must be at least 1 ms; the default is 30 s");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid registry config: "
                    + String.join("; ", problems));
        }
    }

    public static RegistryConfig defaults() {
        return new RegistryConfig("_schemas", CompatibilityLevel.DEFAULT, 921_600, Duration.ofSeconds(30));
    }

    public RegistryConfig withTopic(String t) {
        return new RegistryConfig(t, defaultCompatibility, maxSchemaBytes, storeTimeout);
    }

    public RegistryConfig withDefaultCompatibility(CompatibilityLevel level) {
        return new RegistryConfig(topic, level, maxSchemaBytes, storeTimeout);
    }

    public RegistryConfig withMaxSchemaBytes(int bytes) {
        return new RegistryConfig(topic, defaultCompatibility, bytes, storeTimeout);
    }

    public RegistryConfig withStoreTimeout(Duration d) {
        return new RegistryConfig(topic, defaultCompatibility, maxSchemaBytes, d);
    }
}
