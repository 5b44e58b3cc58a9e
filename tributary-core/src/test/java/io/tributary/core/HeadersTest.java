package io.tributary.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HeadersTest {

    @Test
    void keepsOrderAndRepeatedNames() {
        Headers h = Headers.empty().with("a", "1").with("b", "2").with("a", "3");
        assertThat(h.all()).extracting(Header::name).containsExactly("a", "b", "a");
        assertThat(h.all("a")).extracting(Header::valueAsString).containsExactly("1", "3");
        assertThat(h.lastString("a")).contains("3");
        assertThat(h.lastString("missing")).isEmpty();
    }

    @Test
    void withIsCopyOnWrite() {
        Headers base = Headers.empty().with("a", "1");
        Headers more = base.with("b", "2");
        assertThat(base.size()).isEqualTo(1);
        assertThat(more.size()).isEqualTo(2);
    }

    @Test
    void withReplacedDropsEveryEarlierValue() {
        Headers h = Headers.empty().with("a", "1").with("a", "2").withReplaced("a", "3");
        assertThat(h.all("a")).extracting(Header::valueAsString).containsExactly("3");
    }

    @Test
    void withIfAbsentKeepsAnExistingValue() {
        Headers h = Headers.empty().with(StandardHeaders.CORRELATION_ID, "c1")
                .withIfAbsent(StandardHeaders.CORRELATION_ID, "c2");
        assertThat(h.correlationId()).contains("c1");
    }

    @Test
    void typedAccessorsParseStandardHeaders() {
        UUID id = UuidV7.next();
        Headers h = Headers.empty()
                .with(StandardHeaders.EVENT_ID, id.toString())
                .with(StandardHeaders.EVENT_TYPE, "OrderPlaced")
                .with(StandardHeaders.SCHEMA_ID, "42")
                .with(StandardHeaders.CAUSATION_ID, "cause")
                .with(StandardHeaders.CONTENT_TYPE, "application/json")
                .with(StandardHeaders.TRACEPARENT, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(h.eventId()).contains(id);
        assertThat(h.eventType()).contains("OrderPlaced");
        assertThat(h.schemaId()).hasValue(42);
        assertThat(h.causationId()).contains("cause");
        assertThat(h.contentType()).contains("application/json");
        assertThat(h.traceparent()).hasValueSatisfying(v -> assertThat(v).startsWith("00-"));
    }

    @Test
    void rejectsUnparsableEventIdNamingTheHeader() {
        Headers h = Headers.empty().with(StandardHeaders.EVENT_ID, "not-a-uuid");
        assertThatThrownBy(h::eventId)
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(StandardHeaders.EVENT_ID)
                .hasMessageContaining("not-a-uuid");
    }

    @Test
    void rejectsUnparsableSchemaId() {
        Headers h = Headers.empty().with(StandardHeaders.SCHEMA_ID, "abc");
        assertThatThrownBy(h::schemaId).isInstanceOf(InvalidRequestException.class).hasMessageContaining("abc");
    }

    @Test
    void rejectsEmptyHeaderName() {
        assertThatThrownBy(() -> Header.ofString("", "v")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void headerValueIsDefensivelyCopied() {
        byte[] raw = {1, 2, 3};
        Header h = new Header("x", raw);
        raw[0] = 9;
        assertThat(h.value()[0]).isEqualTo((byte) 1);
        h.value()[1] = 9;
        assertThat(h.value()[1]).isEqualTo((byte) 2);
    }

    @Test
    void sizeCountsNamesAndValues() {
        assertThat(Headers.empty().with("ab", "cde").sizeInBytes()).isEqualTo(5);
    }

    @Test
    void sizeIsCappedAtIntMaxInsteadOfWrappingWhenOneBigHeaderRepeats() {
        // 21 x 100 MiB = 2.2 GB: an int sum wraps to a negative size that passes every limit. One instance repeated
        // keeps the test at 100 MiB of heap.
        Header big = new Header("h", new byte[100 << 20]);
        Headers headers = Headers.of(Collections.nCopies(21, big));

        assertThat(headers.sizeInBytes()).isEqualTo(Integer.MAX_VALUE);
        assertThat(Headers.of(Collections.nCopies(20, big)).sizeInBytes()).isEqualTo(20 * ((100 << 20) + 1));
    }

    @Test
    void sizeCountsTheNameInUtf8BytesLikeEncodingItWould() {
        for (String name : new String[] {"a", "é", "ab-€", "x\uD83D\uDE00y", "\uD83D\uDE00", "ß€\uD83D\uDE00"}) {
            assertThat(new Header(name, new byte[3]).sizeInBytes()).as(name)
                    .isEqualTo(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 3);
        }
    }

    @Test
    void rejectsHeaderNameWithUnpairedSurrogateInsteadOfStoringAQuestionMark() {
        // Regression: UTF-8 encoding turned a lone surrogate into '?', so the record came back under another name.
        String[] names = {"lone\uD83D", "\uDE00end", "a\uD83Db", "\uD83D\uDE00\uDE00"};
        int[] loneAt = {4, 0, 1, 2};
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            assertThatThrownBy(() -> new Header(name, new byte[0])).as(name)
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("unpaired surrogate")
                    .hasMessageContaining("at index " + loneAt[i])
                    .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo(ErrorCode.INVALID_HEADER));
        }
    }

    @Test
    void acceptsHeaderNamesWithWholeSurrogatePairs() {
        Header h = Header.ofString("trace-\uD83D\uDE00", "v");
        assertThat(new String(h.name().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(h.name());
    }
}
