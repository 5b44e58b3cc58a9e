package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.bench.internal.KafkaUnderTest.BrokerActivity;
import java.nio.file.Path;
import javax.management.MBeanServerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaUnderTestTest {

    @Test
    void brokerActivityOfATrialIsTheDifferenceOfTwoReadingsPerRecordReceived() {
        BrokerActivity before = new BrokerActivity(10, 5_000, 550_000, 3, 1_000_000, 400_000, 2_000_000);
        BrokerActivity after = new BrokerActivity(110, 65_000, 7_150_000, 4, 31_000_000, 6_400_000, 17_600_000);

        BrokerActivity trial = after.since(before);

        assertThat(trial).isEqualTo(new BrokerActivity(100, 60_000, 6_600_000, 1, 30_000_000, 6_000_000, 15_600_000));
        assertThat(trial.recordsPerBatch()).isEqualTo(600.0);
        assertThat(trial.bytesPerRecord()).isEqualTo(110.0);
        assertThat(trial.handlerMicrosPerRecord()).isEqualTo(0.5);
        assertThat(trial.networkMicrosPerRecord()).isEqualTo(0.1);
        assertThat(trial.allocatedBytesPerRecord()).isEqualTo(260.0);
    }

    @Test
    void aReadingFromAnotherTopicOrALaterTimeIsRefusedRatherThanGivingNegativeCounts() {
        BrokerActivity earlier = new BrokerActivity(10, 5_000, 550_000, 3, 1_000_000, 400_000, 2_000_000);
        BrokerActivity later = new BrokerActivity(110, 65_000, 7_150_000, 4, 31_000_000, 6_400_000, 17_600_000);
        assertThatThrownBy(() -> earlier.since(later)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be negative");
    }

    @TempDir
    Path dir;

    @Test
    void noBrokerActivityForABrokerGivenByAddress() {
        try (KafkaUnderTest external = KafkaUnderTest.open("localhost:9", dir)) {
            assertThat(external.brokerActivity("bench-1-append-100B-p1-never")).isEmpty();
        }
        assertThat(KafkaUnderTest.producerMetrics()).isEmpty();
    }

    @Test
    void aMissingMeterOfABrokerInThisJvmIsAnErrorNamingTheMeterAndTopicRatherThanNoFigures() {
        // A server without the broker's meters stands for a renamed meter or a topic read too early.
        assertThatThrownBy(() -> KafkaUnderTest.read(MBeanServerFactory.newMBeanServer(), "bench-1-append-100B-p1-never"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("TotalProduceRequestsPerSec")
                .hasMessageContaining("'bench-1-append-100B-p1-never'")
                .hasMessageContaining("check the meter names");
    }
}
