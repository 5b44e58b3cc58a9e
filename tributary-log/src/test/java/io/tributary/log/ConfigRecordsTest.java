package io.tributary.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigRecordsTest {

    @Test
    void consumerConfigReportsAllProblemsTogether() {
        assertThatThrownBy(() -> new ConsumerConfig(" ", Optional.of(""), 0, 0, Duration.ofSeconds(1),
                Duration.ofSeconds(2), Duration.ZERO, ConsumerConfig.AutoOffsetReset.EARLIEST, false, Map.of()))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("clientId is blank")
                .hasMessageContaining("groupId is blank")
                .hasMessageContaining("maxPollRecords=0")
                .hasMessageContaining("maxPollBytes=0")
                .hasMessageContaining("heartbeatInterval")
                .hasMessageContaining("maxPollInterval");
    }

    @Test
    void sessionTimeoutSetsAHeartbeatAThirdOfIt() {
        ConsumerConfig c = ConsumerConfig.forGroup("g").withSessionTimeout(Duration.ofMillis(900));
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.groupId()).contains("g");
    }

    @Test
    void producerConfigRejectsTinyBuffersAndNegativeWaits() {
        assertThatThrownBy(() -> ProducerConfig.defaults().withBufferMemoryBytes(10).withMaxBlock(Duration.ofMillis(-1)))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("bufferMemoryBytes=10");
        assertThatThrownBy(() -> ProducerConfig.defaults().withMaxBlock(Duration.ofMillis(-1)))
                .hasMessageContaining("maxBlock");
    }

    @Test
    void newTopicBoundsPartitionCount() {
        assertThat(NewTopic.of("t", 1).partitions()).isEqualTo(1);
        assertThatThrownBy(() -> NewTopic.of("t", 0)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("--partitions");
        assertThatThrownBy(() -> NewTopic.of("t", 10_001)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void lagIsEndMinusCommittedOrWholePartitionWithoutCommit() {
        TopicPartition tp = new TopicPartition("t", 0);
        assertThat(new PartitionLag(tp, 40, 100).lag()).isEqualTo(60);
        assertThat(new PartitionLag(tp, -1, 100).lag()).isEqualTo(100);
    }

    @Test
    void unknownBackendNamesTheKnownOnesAndTheModuleToAdd() {
        assertThatThrownBy(() -> EventLogs.open(Map.of(EventLogs.BACKEND, "carrier-pigeon")))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("carrier-pigeon")
                .hasMessageContaining("tributary-kafka");
    }
}
