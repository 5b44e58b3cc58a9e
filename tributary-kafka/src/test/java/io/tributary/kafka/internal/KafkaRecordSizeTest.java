package io.tributary.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

/**
 * The pre-send size checks (the producer's, and the topic's {@code max.message.bytes}) measure a record as Kafka's
 * {@code send()} does, so a record they let through is never refused inside {@code send()} partway through an
 * {@code appendAll}, and none Kafka's producer would take is refused.
 * Kafka keeps its measure in an internal package: this test fails if a kafka-clients upgrade changes it.
 */
class KafkaRecordSizeTest {

    @Test
    void measuresEveryRecordExactlyAsKafkasProducerDoesAcrossVarintBoundaries() {
        int[] lengths = {0, 1, 63, 64, 65, 8191, 8192, 8193, 1_048_575, 1_048_576, 1_048_577};
        List<Headers> headerSets = List.of(Headers.empty(), Headers.of(Header.ofString("type", "order")),
                Headers.of(Header.ofString("é-name", "v"), new Header("b".repeat(70), new byte[200])));
        int checked = 0;
        for (int keyLength : new int[] {-1, 0, 64, 8192}) {
            for (int valueLength : lengths) {
                for (Headers headers : headerSets) {
                    byte[] key = keyLength < 0 ? null : new byte[keyLength];
                    byte[] value = new byte[valueLength];
                    Record record = Record.wrapping(key, value, headers, 0);
                    int kafka = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
                            CompressionType.NONE, key, value, kafkaHeaders(headers));
                    assertThat(KafkaRecordSize.upperBound(record))
                            .as("key %d B, value %d B, %d headers", keyLength, valueLength, headers.size())
                            .isEqualTo(kafka);
                    checked++;
                }
            }
        }
        Record tombstone = Record.wrapping(new byte[3], null, Headers.empty(), 0);
        assertThat(KafkaRecordSize.upperBound(tombstone)).isEqualTo(AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, new byte[3], null,
                new org.apache.kafka.common.header.Header[0]));
        assertThat(checked).isEqualTo(4 * lengths.length * headerSets.size());
    }

    @Test
    void decidesWhetherARecordFitsTheProducerExactlyAsKafkasMeasureAtAndAroundTheLimit() {
        List<Headers> headerSets = List.of(Headers.empty(), Headers.of(Header.ofString("type", "order")),
                Headers.of(Header.ofString("é-name", "v"), new Header("b".repeat(70), new byte[200])));
        int checked = 0;
        for (int keyLength : new int[] {-1, 0, 64, 8192}) {
            for (int valueLength : new int[] {-1, 0, 100, 8192, 1_048_576}) {
                for (Headers headers : headerSets) {
                    Record record = Record.wrapping(keyLength < 0 ? null : new byte[keyLength],
                            valueLength < 0 ? null : new byte[valueLength], headers, 0);
                    int exact = KafkaRecordSize.upperBound(record);
                    // Right at the limit, and where the quick bound (size + framing) is above it but the exact one not.
                    for (int limit = exact - 2; limit <= exact + 40; limit++) {
                        assertThat(KafkaRecordSize.fitsWithin(record, limit))
                                .as("key %d B, value %d B, %d headers, limit %d, Kafka's measure %d", keyLength,
                                        valueLength, headers.size(), limit, exact)
                                .isEqualTo(exact <= limit);
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isEqualTo(4 * 5 * headerSets.size() * 43);
    }

    @Test
    void measuresLargeRecordsAndManyHeadersExactlyAsKafkasProducerDoes() {
        // 2^27 bytes: the value length's varint takes its widest (5-byte) form from 2^27 on. One shared array, wrapped
        // as key and value, keeps the heap at 128 MiB.
        byte[] large = new byte[1 << 27];
        List<Header> many = new ArrayList<>();
        for (int i = 0; i < 70; i++) {
            many.add(new Header("h-" + i + "-é", new byte[i * 3]));
        }
        List<Headers> headerSets = List.of(Headers.empty(), Headers.of(many));
        List<Record> records = new ArrayList<>();
        for (Headers headers : headerSets) {
            records.add(Record.wrapping(null, large, headers, 0));
            records.add(Record.wrapping(large, large, headers, 0));
            records.add(Record.wrapping(new byte[5], new byte[100], headers, 0));
        }
        for (Record r : records) {
            int kafka = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
                    CompressionType.NONE, r.sharedKey(), r.sharedValue(), kafkaHeaders(r.headers()));
            assertThat(KafkaRecordSize.upperBound(r)).as("%s", r).isEqualTo(kafka);
            for (int limit : new int[] {kafka - 1, kafka, kafka + 1}) {
                assertThat(KafkaRecordSize.fitsWithin(r, limit)).as("%s, limit %d", r, limit).isEqualTo(kafka <= limit);
            }
        }
    }

    @Test
    void refusesARecordWhoseSizeAddsUpPastAnIntInsteadOfLettingAWrappedSizeThrough() {
        // Regression (review finding): 21 x 100 MiB of headers summed in an int wrapped to a negative size, which
        // passed both pre-send checks and failed inside Kafka's send() instead. One header instance repeated keeps
        // the heap at 100 MiB.
        Header big = new Header("h", new byte[100 << 20]);
        Record record = Record.wrapping(null, null, Headers.of(Collections.nCopies(21, big)), 0);

        assertThat(KafkaRecordSize.upperBound(record)).isEqualTo(Integer.MAX_VALUE);
        assertThat(KafkaRecordSize.fitsWithin(record, 1_048_588)).isFalse();
        assertThat(KafkaRecordSize.fitsWithin(record, Integer.MAX_VALUE - 1)).isFalse();
    }

    private static org.apache.kafka.common.header.Header[] kafkaHeaders(Headers headers) {
        List<org.apache.kafka.common.header.Header> out = new ArrayList<>();
        for (Header h : headers.all()) {
            out.add(new RecordHeader(h.name(), h.value()));
        }
        return out.toArray(new org.apache.kafka.common.header.Header[0]);
    }
}
