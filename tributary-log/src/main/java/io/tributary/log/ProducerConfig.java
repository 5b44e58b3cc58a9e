package io.tributary.log;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A producer's settings. Immutable; {@code with*} methods return copies. All problems are reported at once.
 *
 * @param clientId          name shown in metrics and logs; default {@code tributary-producer}
 * @param bufferMemoryBytes most bytes of records appended but not yet acknowledged; default 32 MiB (Kafka's
 *                          {@code buffer.memory}). When full, {@code append} waits (back-pressure).
 * @param maxBlock          how long {@code append} waits for buffer space before failing with a retriable
 *                          {@link LogErrors#PRODUCER_BUFFER_FULL} error; default 60 s (Kafka's {@code max.block.ms})
 * @param linger            how long a backend may hold records to batch them; default 0 (send at once). The
 *                          embedded engine batches by group commit regardless.
 * @param properties        backend-specific pass-through properties, e.g. Kafka client settings; default none
 */
public record ProducerConfig(String clientId, long bufferMemoryBytes, Duration maxBlock, Duration linger,
                             Map<String, String> properties) {

    public ProducerConfig {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(maxBlock, "maxBlock");
        Objects.requireNonNull(linger, "linger");
        properties = Map.copyOf(properties);
        List<String> problems = new ArrayList<>();
        if (clientId.isBlank()) {
            problems.add("clientId is blank; name the producer, e.g. 'orders-service'");
        }
        if (bufferMemoryBytes < 1024) {
            problems.add("bufferMemoryBytes=" + bufferMemoryBytes + " is below 1024; the default is 33554432 (32 MiB)");
        }
        if (maxBlock.isNegative()) {
            problems.add("maxBlock=" + maxBlock + " is negative; use 0 to fail at once when the buffer is full");
        }
        if (linger.isNegative()) {
            problems.add("linger=" + linger + " is negative; use 0 to send at once");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid producer config: " + String.join("; ", problems));
        }
    }

    public static ProducerConfig defaults() {
        return new ProducerConfig("tributary-producer", 32L * 1024 * 1024, Duration.ofSeconds(60), Duration.ZERO, Map.of());
    }

    public ProducerConfig withClientId(String id) {
        return new ProducerConfig(id, bufferMemoryBytes, maxBlock, linger, properties);
    }

    public ProducerConfig withBufferMemoryBytes(long bytes) {
        return new ProducerConfig(clientId, bytes, maxBlock, linger, properties);
    }

    public ProducerConfig withMaxBlock(Duration d) {
        return new ProducerConfig(clientId, bufferMemoryBytes, d, linger, properties);
    }

    public ProducerConfig withLinger(Duration d) {
        return new ProducerConfig(clientId, bufferMemoryBytes, maxBlock, d, properties);
    }

    public ProducerConfig withProperties(Map<String, String> props) {
        return new ProducerConfig(clientId, bufferMemoryBytes, maxBlock, linger, props);
    }
}
