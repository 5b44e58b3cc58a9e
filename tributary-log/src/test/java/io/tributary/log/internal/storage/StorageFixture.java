package io.tributary.log.internal.storage;

import io.tributary.core.Record;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Opens storages in a test folder; the cleaner is effectively off unless a test runs it by hand. */
final class StorageFixture {

    private StorageFixture() {
    }

    static EmbeddedLogConfig config(Path dir) {
        return EmbeddedLogConfig.at(dir).withCleanerInterval(Duration.ofDays(1)).withCheckpointInterval(Duration.ofDays(1));
    }

    static EmbeddedStorage open(Path dir) {
        return EmbeddedStorage.open(config(dir));
    }

    static EmbeddedProducer producer(EmbeddedStorage s) {
        return new EmbeddedProducer(s, ProducerConfig.defaults(), () -> { });
    }

    static void topic(EmbeddedStorage s, String name, int partitions, Map<String, String> config) {
        s.createTopic(new NewTopic(name, partitions, TopicConfig.of(config)));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static Record record(String key, String value, long ts) {
        return new Record(key == null ? null : bytes(key), value == null ? null : bytes(value),
                io.tributary.core.Headers.empty(), ts);
    }
}
