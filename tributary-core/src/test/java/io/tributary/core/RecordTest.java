package io.tributary.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import org.junit.jupiter.api.Test;

class RecordTest {

    @Test
    void nullValueIsATombstone() {
        assertThat(Record.of(new byte[] {1}, null).isTombstone()).isTrue();
        assertThat(Record.of(null, new byte[] {1}).isTombstone()).isFalse();
    }

    @Test
    void rejectsNegativeTimestampSayingWhatToUse() {
        assertThatThrownBy(() -> new Record(null, new byte[0], Headers.empty(), -1))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("milliseconds since the epoch");
    }

    @Test
    void equalityIsByContent() {
        Record a = new Record(new byte[] {1}, new byte[] {2}, Headers.empty().with("h", "v"), 5);
        Record b = new Record(new byte[] {1}, new byte[] {2}, Headers.empty().with("h", "v"), 5);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] key = {1};
        Record r = new Record(key, new byte[] {2}, Headers.empty(), 0);
        key[0] = 7;
        assertThat(r.key()).containsExactly(1);
    }

    @Test
    void sharedAccessorsReturnTheRecordsOwnArraysWhileTheCopyingOnesDoNot() {
        byte[] key = {1};
        byte[] value = {2, 3};
        Record r = new Record(key, value, Headers.empty(), 0);
        assertThat(r.sharedKey()).containsExactly(1).isNotSameAs(key).isSameAs(r.sharedKey());
        assertThat(r.sharedValue()).containsExactly(2, 3).isNotSameAs(value).isSameAs(r.sharedValue());
        assertThat(r.value()).isNotSameAs(r.sharedValue());
        assertThat(Record.of(null, null).sharedKey()).isNull();
        assertThat(Record.of(null, null).sharedValue()).isNull();
    }

    @Test
    void sizeCountsKeyValueAndHeaders() {
        Record r = new Record(new byte[3], new byte[4], Headers.empty().with("n", "vv"), 0);
        assertThat(r.sizeInBytes()).isEqualTo(3 + 4 + 3);
    }

    @Test
    void sizeIsCappedAtIntMaxInsteadOfWrappingWhenKeyValueAndHeadersAddUpPastIt() {
        // Each part fits an int, their sum does not: 20 x 100 MiB of headers plus a 100 MiB key and value.
        byte[] shared = new byte[100 << 20];
        Headers headers = Headers.of(Collections.nCopies(20, new Header("h", shared)));
        assertThat(headers.sizeInBytes()).isPositive();

        assertThat(Record.wrapping(shared, shared, headers, 0).sizeInBytes()).isEqualTo(Integer.MAX_VALUE);
        assertThat(Record.wrapping(null, shared, Headers.empty(), 0).sizeInBytes()).isEqualTo(100 << 20);
    }

    @Test
    void wrappingTakesTheCallersArraysWithoutCopyingThem() {
        byte[] key = {1};
        byte[] value = {2, 3};
        Record r = Record.wrapping(key, value, Headers.empty(), 9);
        assertThat(r.sharedKey()).isSameAs(key);
        assertThat(r.sharedValue()).isSameAs(value);
        assertThat(r.value()).containsExactly(2, 3).isNotSameAs(value);
        assertThat(r).isEqualTo(new Record(new byte[] {1}, new byte[] {2, 3}, Headers.empty(), 9));
        assertThat(Record.wrapping(null, value).sharedValue()).isSameAs(value);
    }

    @Test
    void wrappingRejectsANegativeTimestampLikeTheConstructor() {
        assertThatThrownBy(() -> Record.wrapping(null, new byte[0], Headers.empty(), -1))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("milliseconds since the epoch");
    }

    @Test
    void withHeadersKeepsKeyValueAndTimestamp() {
        Record r = new Record(new byte[] {1}, new byte[] {2}, Headers.empty(), 4).withHeaders(Headers.empty().with("h", "v"));
        assertThat(r).isEqualTo(new Record(new byte[] {1}, new byte[] {2}, Headers.empty().with("h", "v"), 4));
    }
}
