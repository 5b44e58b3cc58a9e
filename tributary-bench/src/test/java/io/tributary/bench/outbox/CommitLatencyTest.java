package io.tributary.bench.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CommitLatencyTest {

    @Test
    void measuresFromCommitReturnedToPublished() {
        CommitLatency latency = new CommitLatency();
        UUID id = UUID.randomUUID();

        latency.committed(id, 1_000_000_000L);
        latency.published(List.of(id), 1_012_000_000L);

        assertThat(latency.matched()).isEqualTo(1);
        assertThat(latency.percentileMillis(50)).isCloseTo(12.0, org.assertj.core.data.Offset.offset(0.05));
        assertThat(latency.publishedBeforeCommitReturned()).isZero();
    }

    @Test
    void countsAnEventPublishedBeforeItsWriterSawTheCommitReturnAsZero() {
        CommitLatency latency = new CommitLatency();
        UUID id = UUID.randomUUID();

        latency.published(id, 2_000_000_000L);
        latency.committed(id, 2_000_300_000L);

        assertThat(latency.matched()).isEqualTo(1);
        assertThat(latency.percentileMillis(100)).isZero();
        assertThat(latency.publishedBeforeCommitReturned()).isEqualTo(1);
    }

    @Test
    void keepsTheFirstPublishOfAnEventPublishedTwice() {
        CommitLatency latency = new CommitLatency();
        UUID id = UUID.randomUUID();

        latency.published(id, 5_000_000_000L);
        latency.published(id, 5_100_000_000L);
        latency.committed(id, 4_990_000_000L);

        assertThat(latency.matched()).isEqualTo(1);
        assertThat(latency.percentileMillis(100)).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.05));
    }
}
