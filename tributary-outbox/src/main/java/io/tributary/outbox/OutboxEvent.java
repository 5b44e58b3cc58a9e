package io.tributary.outbox;

import io.tributary.core.Headers;
import io.tributary.log.TopicNameRule;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An event to publish: the topic, the key (which also orders events: same key, commit order), the type, the payload
 * and headers. Immutable.
 *
 * @param topic   the log topic to publish to
 * @param key     key bytes, or {@code null} for no key (no ordering); at most 1024 bytes
 * @param type    event type, also written as the {@code tributary-event-type} header
 * @param payload value bytes, or {@code null} for a tombstone
 * @param headers extra headers; the standard ones are filled in when missing
 */
public record OutboxEvent(String topic, byte @Nullable [] key, String type, byte @Nullable [] payload, Headers headers) {

    public OutboxEvent {
        TopicNameRule.validate(topic);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(headers, "headers");
        key = key == null ? null : key.clone();
        payload = payload == null ? null : payload.clone();
    }

    public static OutboxEvent of(String topic, byte @Nullable [] key, String type, byte @Nullable [] payload) {
        return new OutboxEvent(topic, key, type, payload, Headers.empty());
    }

    @Override
    public byte @Nullable [] key() {
        return key == null ? null : key.clone();
    }

    @Override
    public byte @Nullable [] payload() {
        return payload == null ? null : payload.clone();
    }

    public OutboxEvent withHeaders(Headers h) {
        return new OutboxEvent(topic, key, type, payload, h);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboxEvent e && topic.equals(e.topic) && Arrays.equals(key, e.key) && type.equals(e.type)
                && Arrays.equals(payload, e.payload) && headers.equals(e.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, Arrays.hashCode(key), type, Arrays.hashCode(payload), headers);
    }

    @Override
    public String toString() {
        return "OutboxEvent[" + topic + ", type=" + type + ", key=" + (key == null ? "none" : key.length + "B") + "]";
    }
}
