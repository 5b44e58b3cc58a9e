package io.tributary.kafka.internal;

import io.tributary.core.Header;
import io.tributary.core.Record;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How many bytes Kafka gives one record, for the checks made before sending: the producer's ({@code max.request.size},
 * {@code buffer.memory}) and the broker's ({@code max.message.bytes} of the topic, which it compares with the size of
 * a whole record batch). Both use Kafka's upper bound of a record batch (format v2) holding only this record, which
 * is what the producer itself checks in {@code send()}. The broker measures the batch as written, at most this bound
 * (at most 17 bytes less for one uncompressed record): a record Kafka's measure puts over the topic's limit but the
 * broker would take is refused by us, never the other way round, so an {@code appendAll} never stores part of its
 * list and then fails on a record the broker refuses.
 *
 * <p>Stateless and thread-safe.
 */
final class KafkaRecordSize {

    /**
     * Most bytes {@link #upperBound} adds to {@link Record#sizeInBytes()} for a record without headers: the 82 bytes
     * of batch and record header, and three varints (key length, value length, header count) of at most 5 bytes each.
     * Each header adds at most two more varints (name length, value length): 10 bytes.
     */
    static final int FRAMING_BOUND = 82 + 3 * 5;
    static final int FRAMING_BOUND_PER_HEADER = 2 * 5;

    private KafkaRecordSize() {
    }

    /**
     * Whether {@link #upperBound} is at most {@code limit}. Decided from the record's size and header count when that
     * is far enough below the limit (every record of a normal workload), which costs nothing per record; the exact
     * measure, which walks the headers, only near the limit. {@link Record#sizeInBytes()} is capped at
     * {@code Integer.MAX_VALUE}, never wraps, so a huge record always takes the exact path.
     */
    static boolean fitsWithin(Record record, int limit) {
        long bound = (long) record.sizeInBytes() + FRAMING_BOUND
                + (long) FRAMING_BOUND_PER_HEADER * record.headers().size();
        return bound <= limit || upperBound(record) <= limit;
    }

    /**
     * Kafka's upper bound of a record batch holding only this record: 61 bytes of batch header, at most 21 bytes of
     * record header, and each field with its varint length; capped at {@code Integer.MAX_VALUE}. Written out here
     * because kafka-clients keeps it in an internal package; a test holds it equal to Kafka's. Summed in a
     * {@code long}: a record of several arrays near the JVM's array limit (or one large header repeated) adds up past
     * an {@code int}.
     */
    static int upperBound(Record record) {
        byte[] key = record.sharedKey();
        byte[] value = record.sharedValue();
        long size = 61 + 21;
        size += key == null ? 1 : (long) varintSize(key.length) + key.length;
        size += value == null ? 1 : (long) varintSize(value.length) + value.length;
        List<Header> headers = record.headers().all();
        size += varintSize(headers.size());
        for (Header h : headers) {
            int nameBytes = h.name().getBytes(StandardCharsets.UTF_8).length;
            int valueBytes = h.value().length;
            size += (long) varintSize(nameBytes) + nameBytes + varintSize(valueBytes) + valueBytes;
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    /** Bytes of Kafka's zig-zag varint of a non-negative {@code n}. */
    private static int varintSize(int n) {
        int zigzag = (n << 1) ^ (n >> 31);
        int bytes = 1;
        while ((zigzag & 0xffffff80) != 0) {
            bytes++;
            zigzag >>>= 7;
        }
        return bytes;
    }
}
