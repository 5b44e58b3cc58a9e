package io.tributary.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicConfigTest {

    @Test
    void defaultsAreKafkasPlusDurableFsync() {
        TopicConfig c = TopicConfig.defaults();
        assertThat(c.retentionMs()).isEqualTo(604_800_000L);
        assertThat(c.retentionBytes()).isEqualTo(-1);
        assertThat(c.segmentBytes()).isEqualTo(1_073_741_824);
        assertThat(c.maxMessageBytes()).isEqualTo(1_048_588);
        assertThat(c.cleanupPolicy()).containsExactly(CleanupPolicy.DELETE);
        assertThat(c.durability()).isEqualTo(Durability.ALWAYS);
        assertThat(c.hasExplicitDurability()).isFalse();
    }

    @Test
    void parsesEveryKnownKey() {
        TopicConfig c = TopicConfig.of(Map.of(
                "retention.ms", "1000", "retention.bytes", "2097152", "segment.bytes", "1048576",
                "max.message.bytes", "100", "cleanup.policy", "compact,delete", "min.compaction.lag.ms", "5",
                "delete.retention.ms", "10", "fsync", "interval:250"));
        assertThat(c.retentionMs()).isEqualTo(1000);
        assertThat(c.retentionBytes()).isEqualTo(2_097_152);
        assertThat(c.segmentBytes()).isEqualTo(1_048_576);
        assertThat(c.maxMessageBytes()).isEqualTo(100);
        assertThat(c.cleanupPolicy()).containsExactlyInAnyOrder(CleanupPolicy.COMPACT, CleanupPolicy.DELETE);
        assertThat(c.isCompacted()).isTrue();
        assertThat(c.minCompactionLagMs()).isEqualTo(5);
        assertThat(c.deleteRetentionMs()).isEqualTo(10);
        assertThat(c.durability()).isEqualTo(new Durability.Interval(250));
        assertThat(c.effective()).containsEntry("fsync", "interval:250").containsEntry("cleanup.policy", "compact,delete");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("retention.ms", "-5");
        bad.put("segment.bytes", "12");
        bad.put("cleanup.policy", "shred");
        bad.put("fsync", "sometimes");
        bad.put("colour", "blue");
        bad.put("max.message.bytes", "lots");
        assertThatThrownBy(() -> TopicConfig.of(bad))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("6 problems")
                .hasMessageContaining("retention.ms=-5")
                .hasMessageContaining("segment.bytes=12")
                .hasMessageContaining("cleanup.policy='shred'")
                .hasMessageContaining("fsync='sometimes'")
                .hasMessageContaining("unknown key 'colour'")
                .hasMessageContaining("max.message.bytes='lots'")
                .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo(LogErrors.INVALID_TOPIC_CONFIG));
    }

    @Test
    void zeroRetentionIsRejectedButMinusOneMeansForever() {
        assertThat(TopicConfig.of(Map.of("retention.ms", "-1")).retentionMs()).isEqualTo(-1);
        assertThatThrownBy(() -> TopicConfig.of(Map.of("retention.ms", "0"))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void withAllValidatesTheMergedResult() {
        TopicConfig c = TopicConfig.of(Map.of("retention.ms", "1000"));
        assertThat(c.withAll(Map.of("fsync", "never")).overrides()).containsOnlyKeys("retention.ms", "fsync");
        assertThatThrownBy(() -> c.withAll(Map.of("fsync", "x"))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void durabilityParsesItsThreeForms() {
        assertThat(Durability.parse("always")).isEqualTo(Durability.ALWAYS);
        assertThat(Durability.parse("never")).isEqualTo(Durability.NEVER);
        assertThat(Durability.parse("interval:5")).isEqualTo(new Durability.Interval(5));
        assertThatThrownBy(() -> Durability.parse("interval:0")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("interval:<ms>");
    }
}
