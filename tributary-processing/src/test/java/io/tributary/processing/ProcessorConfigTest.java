package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ProcessorConfigTest {

    @Test
    void defaultsAreDocumentedValues() {
        ProcessorConfig c = ProcessorConfig.of("billing", "orders");
        assertThat(c.concurrencyPerPartition()).isEqualTo(16);
        assertThat(c.maxBufferedPerPartition()).isEqualTo(1000);
        assertThat(c.maxBatchEvents()).isEqualTo(500);
        assertThat(c.maxBatchBytes()).isEqualTo(1_048_576L);
        assertThat(c.maxBatchWait()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.retry()).isEqualTo(RetryPolicy.defaults().withNonRetryable(c.retry().nonRetryable()));
        assertThat(c.effectiveConsumerConfig().groupId()).contains("billing");
        assertThat(c.effectiveConsumerConfig().clientId()).isEqualTo("billing");
        assertThat(c.handlerThreads()).isEqualTo(HandlerThreads.virtual());
        assertThat(c.beforeOffsetCommit()).isSameAs(BeforeOffsetCommit.NOTHING);
    }

    @Test
    void keepsTheBeforeOffsetCommitHookAcrossOtherChanges() {
        BeforeOffsetCommit flush = offsets -> { };
        ProcessorConfig c = ProcessorConfig.of("billing", "orders").withBeforeOffsetCommit(flush)
                .withCommitInterval(Duration.ofMillis(200)).withEventFilter(e -> true).withConcurrencyPerPartition(4);
        assertThat(c.beforeOffsetCommit()).isSameAs(flush);
        assertThat(c).isEqualTo(c.withBeforeOffsetCommit(flush))
                .isNotEqualTo(c.withBeforeOffsetCommit(BeforeOffsetCommit.NOTHING));
    }

    @Test
    void keepsAPlatformThreadPoolAcrossOtherChanges() {
        ProcessorConfig c = ProcessorConfig.of("billing", "orders").withHandlerThreads(HandlerThreads.platform(3))
                .withConcurrencyPerPartition(4).withTelemetry(ProcessorTelemetry.defaults());
        assertThat(c.handlerThreads()).isEqualTo(new HandlerThreads.Platform(3));
    }

    @Test
    void rejectsAPlatformThreadPoolWithoutThreads() {
        assertThatThrownBy(() -> HandlerThreads.platform(0))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContaining("HandlerThreads.platform(0)")
                .hasMessageContaining("at least 1");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> new ProcessorConfig(" ", List.of(), 0, 0, 0, 0, Duration.ofMillis(-1),
                RetryPolicy.defaults(), Duration.ZERO, Duration.ZERO, Duration.ofMinutes(5), Duration.ofSeconds(-1),
                io.tributary.log.ConsumerConfig.defaults(), DeadLetterPolicy.sequenced(),
                ProcessorTelemetry.defaults(), HandlerThreads.virtual()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContaining("name is blank")
                .hasMessageContaining("topics is empty")
                .hasMessageContaining("concurrencyPerPartition=0")
                .hasMessageContaining("maxBufferedPerPartition=0")
                .hasMessageContaining("maxBatchEvents=0")
                .hasMessageContaining("maxBatchBytes=0")
                .hasMessageContaining("maxBatchWait=")
                .hasMessageContaining("commitInterval=")
                .hasMessageContaining("pollTimeout=")
                .hasMessageContaining("revokeTimeout=PT5M must be non-negative and below the consumer's sessionTimeout")
                .hasMessageContaining("shutdownTimeout=");
    }

    @Test
    void retryPolicyReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ofSeconds(2), Duration.ofSeconds(1), 0.5, 1.5,
                RetryPolicy.DEFAULT_NON_RETRYABLE))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("maxAttempts=0")
                .hasMessageContaining("maxBackoff=PT1S must be at least initialBackoff=PT2S")
                .hasMessageContaining("multiplier=0.5")
                .hasMessageContaining("jitter=1.5");
    }

    @Test
    void backoffGrowsExponentiallyWithinJitterAndCap() {
        RetryPolicy p = RetryPolicy.defaults().withBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
                .withJitter(0.25);
        for (int i = 0; i < 200; i++) {
            assertThat(p.delayAfter(1)).isBetween(Duration.ofMillis(75), Duration.ofMillis(100));
            assertThat(p.delayAfter(2)).isBetween(Duration.ofMillis(150), Duration.ofMillis(200));
            assertThat(p.delayAfter(3)).isBetween(Duration.ofMillis(300), Duration.ofMillis(400));
            assertThat(p.delayAfter(10)).isBetween(Duration.ofMillis(375), Duration.ofMillis(500));
        }
    }

    @Test
    void retriesUntilMaxAttemptsUnlessClassifiedNonRetryable() {
        RetryPolicy p = RetryPolicy.defaults().withMaxAttempts(3)
                .withNonRetryable(t -> t instanceof IllegalArgumentException);
        assertThat(p.shouldRetry(new IllegalStateException(), 1)).isTrue();
        assertThat(p.shouldRetry(new IllegalStateException(), 2)).isTrue();
        assertThat(p.shouldRetry(new IllegalStateException(), 3)).isFalse();
        assertThat(p.shouldRetry(new IllegalArgumentException(), 1)).isFalse();
        assertThat(RetryPolicy.defaults().shouldRetry(
                new InvalidRequestException(ErrorCode.INVALID_RECORD, "bad input, fix it"), 1)).isFalse();
    }
}
