package io.tributary.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;

/**
 * The producer's pre-send size check measures a record as Kafka's {@code send()} does, so a record it lets through is
 * never refused inside {@code send()} partway through an {@code appendAll}, and none Kafka would take is refused.
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
                    assertThat(KafkaLogProducer.kafkaSizeUpperBound(record))
                            .as("key %d B, value %d B, %d headers", keyLength, valueLength, headers.size())
                            .isEqualTo(kafka);
                    checked++;
                }
            }
        }
        Record tombstone = Record.wrapping(new byte[3], null, Headers.empty(), 0);
        assertThat(KafkaLogProducer.kafkaSizeUpperBound(tombstone)).isEqualTo(AbstractRecords.estimateSizeInBytesUpperBound(
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
                    int exact = KafkaLogProducer.kafkaSizeUpperBound(record);
                    // Right at the limit, and where the quick bound (size + framing) is above it but the exact one not.
                    for (int limit = exact - 2; limit <= exact + 40; limit++) {
                        assertThat(KafkaLogProducer.fitsProducer(record, limit))
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

    private static org.apache.kafka.common.header.Header[] kafkaHeaders(Headers headers) {
        List<org.apache.kafka.common.header.Header> out = new ArrayList<>();
        for (Header h : headers.all()) {
            out.add(new RecordHeader(h.name(), h.value()));
        }
        return out.toArray(new org.apache.kafka.common.header.Header[0]);
    }
}
