package io.tributary.testbroker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Tag("slow")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaTestClusterTest {

    @Test
    void aThreeNodeClusterKeepsAcceptingDurableWritesWhileOneNodeIsDownAndTheNodeRejoins() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
            assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
            cluster.createTopic("replicated", 1, (short) 3, Map.of("min.insync.replicas", "2"));
            assertThat(KafkaTestBrokerTest.produce(cluster, "replicated", "a", "1").offset()).isZero();

            cluster.stopNode(2);
            assertThat(cluster.isRunning(2)).isFalse();
            assertThat(cluster.runningBootstrapServers().split(",")).hasSize(2);
            assertThat(KafkaTestBrokerTest.produce(cluster, "replicated", "b", "2").offset()).isEqualTo(1);

            cluster.restartNode(2);
            assertThat(cluster.isRunning(2)).isTrue();
            assertThat(KafkaTestBrokerTest.consume(cluster, "replicated", 2)).containsExactly("a=1", "b=2");
        }
    }
}
