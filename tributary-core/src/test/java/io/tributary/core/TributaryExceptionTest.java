package io.tributary.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TributaryExceptionTest {

    @Test
    void eachKindMapsToItsHttpStatus() {
        ErrorCode c = ErrorCode.of("SOME_CODE");
        assertThat(new NotFoundException(c, "m").httpStatus()).isEqualTo(404);
        assertThat(new ConflictException(c, "m").httpStatus()).isEqualTo(409);
        assertThat(new InvalidRequestException(c, "m").httpStatus()).isEqualTo(400);
        assertThat(new RetriableException(c, "m").httpStatus()).isEqualTo(503);
        assertThat(new CorruptionException(c, "m").httpStatus()).isEqualTo(500);
        assertThat(new UnauthorizedException(c, "m").httpStatus()).isEqualTo(403);
    }

    @Test
    void onlyRetriableErrorsAreRetriable() {
        ErrorCode c = ErrorCode.of("X");
        assertThat(new RetriableException(c, "m").isRetriable()).isTrue();
        assertThat(new ConflictException(c, "m").isRetriable()).isFalse();
    }

    @Test
    void requiresAMessage() {
        assertThatThrownBy(() -> new ConflictException(ErrorCode.of("X"), " "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorCodesAreUpperSnakeCase() {
        assertThat(ErrorCode.of("TOPIC_NOT_FOUND").name()).isEqualTo("TOPIC_NOT_FOUND");
        assertThatThrownBy(() -> ErrorCode.of("topicNotFound")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringShowsKindCodeAndMessage() {
        assertThat(new NotFoundException(ErrorCode.of("TOPIC_NOT_FOUND"), "Topic 'x' does not exist").toString())
                .isEqualTo("NotFoundException[TOPIC_NOT_FOUND]: Topic 'x' does not exist");
    }
}
