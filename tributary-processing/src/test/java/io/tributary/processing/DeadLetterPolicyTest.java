package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeadLetterPolicyTest {

    @Test
    void processorsDeadLetterInSequencedModeToATopicNamedAfterThemByDefault() {
        ProcessorConfig c = ProcessorConfig.of("billing", "orders");
        assertThat(c.deadLetter().mode()).isEqualTo(DeadLetterPolicy.Mode.SEQUENCED);
        assertThat(c.deadLetterTopic()).isEqualTo("billing.dlq");
        assertThat(c.deadLetter().actionsTopicFor("billing")).isEqualTo("billing.dlq.actions");
        assertThat(c.deadLetter().actionCheckInterval()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aConfiguredTopicReplacesTheDerivedNameAndStopProcessorHasNoQueue() {
        DeadLetterPolicy p = DeadLetterPolicy.unsequenced().withTopic("poison");
        assertThat(p.topicFor("billing")).isEqualTo("poison");
        assertThat(p.actionsTopicFor("billing")).isEqualTo("poison.actions");
        assertThat(p.deadLetters()).isTrue();
        assertThat(DeadLetterPolicy.stopProcessor().deadLetters()).isFalse();
    }

    @Test
    void reportsABadTopicNameAndCheckIntervalTogether() {
        assertThatThrownBy(() -> new DeadLetterPolicy(DeadLetterPolicy.Mode.SEQUENCED, Optional.of("bad name!"),
                Duration.ZERO))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContaining("topic 'bad name!'")
                .hasMessageContaining("actionCheckInterval=PT0S must be at least 1 ms");
    }
}
