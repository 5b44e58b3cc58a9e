package io.tributary.kafka.internal;

import io.tributary.log.Durability;
import io.tributary.log.TopicConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Our topic configs to Kafka's and back. Every key of {@link TopicConfig} is Kafka's own, except {@code fsync}:
 * <ul>
 *   <li>{@code always} → {@code flush.messages=1} (fsync before every ack, Kafka's most durable mode);</li>
 *   <li>{@code interval:<ms>} → {@code flush.ms=<ms>};</li>
 *   <li>{@code never} → {@code flush.messages=9223372036854775807}, the stock value, written explicitly so the choice
 *       survives a describe and wins over a broker-wide {@code log.flush.interval.messages};</li>
 *   <li>not set → nothing: the broker's default applies (stock Kafka: never, replication gives durability).</li>
 * </ul>
 */
final class TopicConfigMapping {

    static final String FLUSH_MESSAGES = "flush.messages";
    static final String FLUSH_MS = "flush.ms";
    private static final String NEVER = String.valueOf(Long.MAX_VALUE);

    private TopicConfigMapping() {
    }

    /** The Kafka topic configs that express {@code config}'s overrides. */
    static Map<String, String> toKafka(TopicConfig config) {
        Map<String, String> out = new LinkedHashMap<>();
        config.overrides().forEach((k, v) -> {
            if (!k.equals(TopicConfig.FSYNC)) {
                out.put(k, v);
            }
        });
        if (config.hasExplicitDurability()) {
            switch (config.durability()) {
                case Durability.Always a -> out.put(FLUSH_MESSAGES, "1");
                case Durability.Interval i -> out.put(FLUSH_MS, String.valueOf(i.intervalMs()));
                case Durability.Never n -> out.put(FLUSH_MESSAGES, NEVER);
            }
        }
        return out;
    }

    /** Our config from a topic's Kafka overrides (configs set on the topic itself, not broker defaults). */
    static TopicConfig fromKafka(Map<String, String> kafkaOverrides) {
        Map<String, String> ours = new LinkedHashMap<>();
        for (String key : TopicConfig.KEYS) {
            String v = kafkaOverrides.get(key);
            if (v != null && !key.equals(TopicConfig.FSYNC)) {
                ours.put(key, v);
            }
        }
        String messages = kafkaOverrides.get(FLUSH_MESSAGES);
        String ms = kafkaOverrides.get(FLUSH_MS);
        if ("1".equals(messages)) {
            ours.put(TopicConfig.FSYNC, "always");
        } else if (ms != null && !ms.equals(NEVER) && Long.parseLong(ms) > 0) {
            ours.put(TopicConfig.FSYNC, "interval:" + ms);
        } else if (NEVER.equals(messages)) {
            ours.put(TopicConfig.FSYNC, "never");
        }
        return TopicConfig.of(ours);
    }
}
