package io.tributary.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.core.Headers;
import io.tributary.log.LogRecord;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecordLinesTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void textIsPartitionOffsetKeyValueSeparatedByTabs() {
        assertThat(RecordLines.text(3, 42, utf8("order-1"), utf8("paid"))).isEqualTo("3\t42\torder-1\tpaid");
    }

    @Test
    void absentKeyAndTombstoneAreEmptyFields() {
        assertThat(RecordLines.text(0, 7, null, null)).isEqualTo("0\t7\t\t");
    }

    @Test
    void tabsNewlinesAndBackslashesAreEscapedSoEachRecordIsOneLine() {
        String line = RecordLines.text(1, 2, utf8("a\tb"), utf8("x\ny\r\\z"));
        assertThat(line).isEqualTo("1\t2\ta\\tb\tx\\ny\\r\\\\z");
        assertThat(line.split("\t", -1)).hasSize(4);
        assertThat(line).doesNotContain("\n");
    }

    @Test
    void jsonHasEveryFieldAndNullsForAbsentBytes() throws Exception {
        LogRecord r = new LogRecord("orders", 2, 9, 1_700_000_000_000L, null, utf8("caf\u00e9 \"x\""),
                Headers.empty().with("event-type", "OrderPaid"));
        JsonNode json = new ObjectMapper().readTree(RecordLines.json(r));
        assertThat(json.get("topic").asText()).isEqualTo("orders");
        assertThat(json.get("partition").asInt()).isEqualTo(2);
        assertThat(json.get("offset").asLong()).isEqualTo(9);
        assertThat(json.get("timestamp").asLong()).isEqualTo(1_700_000_000_000L);
        assertThat(json.get("key").isNull()).isTrue();
        assertThat(json.get("value").asText()).isEqualTo("caf\u00e9 \"x\"");
        assertThat(json.get("headers").get(0).get("name").asText()).isEqualTo("event-type");
        assertThat(json.get("headers").get(0).get("value").asText()).isEqualTo("OrderPaid");
        assertThat(RecordLines.json(r)).doesNotContain("\n");
    }
}
