package io.tributary.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicNameRuleTest {

    @ParameterizedTest
    @ValueSource(strings = {"orders", "a", "A.b_c-9", "__consumer_offsets"})
    void acceptsKafkaLegalNames(String name) {
        assertThat(TopicNameRule.validate(name)).isEqualTo(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "has space", "slash/name", "ünïcode", "star*"})
    void rejectsIllegalNamesSayingWhatIsAllowed(String name) {
        assertThatThrownBy(() -> TopicNameRule.validate(name))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("Topic name '" + name + "' is invalid")
                .hasMessageContaining("a-z, A-Z, 0-9");
    }

    @org.junit.jupiter.api.Test
    void rejectsNamesLongerThan249() {
        assertThat(TopicNameRule.validate("x".repeat(249))).hasSize(249);
        assertThatThrownBy(() -> TopicNameRule.validate("x".repeat(250))).hasMessageContaining("250 characters");
    }
}
