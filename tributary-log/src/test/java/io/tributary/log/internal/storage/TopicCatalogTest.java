package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.TopicConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopicCatalogTest {

    @TempDir
    Path dir;

    // Regression: with dotted keys, a topic named "a.config.b" read back as config of topic "a".
    @Test
    void topicNamesThatLookLikeCatalogKeysRoundTrip() throws Exception {
        Map<String, TopicCatalog.Entry> topics = new TreeMap<>();
        topics.put("a", new TopicCatalog.Entry(2, TopicConfig.of(Map.of("cleanup.policy", "compact,delete"))));
        topics.put("a.config.b", new TopicCatalog.Entry(3, TopicConfig.defaults()));
        topics.put("x.partitions", new TopicCatalog.Entry(1, TopicConfig.of(Map.of("fsync", "interval:50"))));
        TopicCatalog.write(dir, topics);
        Map<String, TopicCatalog.Entry> read = TopicCatalog.read(dir);
        assertThat(read.keySet()).containsExactly("a", "a.config.b", "x.partitions");
        assertThat(read.get("a.config.b").partitions()).isEqualTo(3);
        assertThat(read.get("a").config().overrides()).containsEntry("cleanup.policy", "compact,delete").hasSize(1);
        assertThat(read.get("x.partitions").config().durability().toString()).isEqualTo("interval:50");
    }

    @Test
    void aMissingCatalogMeansNoTopics() throws Exception {
        assertThat(TopicCatalog.read(dir)).isEmpty();
    }
}
