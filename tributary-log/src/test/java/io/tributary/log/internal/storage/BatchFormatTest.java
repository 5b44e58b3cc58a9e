package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.LogRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchFormatTest {

    private static final List<Record> RECORDS = List.of(
            new Record(bytes("k1"), bytes("v1"), Headers.of(Header.ofString("type", "A")), 100),
            new Record(null, bytes(""), Headers.empty(), 101),
            new Record(bytes("k3"), null, Headers.empty(), 99));

    @Test
    void aBatchDecodesToTheRecordsItWasEncodedFromAtItsBaseOffset() {
        byte[] batch = BatchFormat.encode(RECORDS, 0, 3);
        ByteBuffer buf = ByteBuffer.wrap(batch);
        buf.putLong(BatchFormat.BASE_OFFSET, 40);
        assertThat(BatchFormat.isValid(buf, 0, batch.length)).isTrue();
        assertThat(BatchFormat.batchSize(buf, 0)).isEqualTo(batch.length);
        assertThat(BatchFormat.nextOffset(buf, 0)).isEqualTo(43);
        assertThat(BatchFormat.maxTimestamp(buf, 0)).isEqualTo(101);
        List<LogRecord> out = new ArrayList<>();
        BatchFormat.decode(buf, 0, "t", 2, 0, Long.MAX_VALUE, 10, new long[] {Long.MAX_VALUE}, out);
        assertThat(out).extracting(LogRecord::offset).containsExactly(40L, 41L, 42L);
        for (int i = 0; i < 3; i++) {
            assertThat(out.get(i).toRecord()).isEqualTo(RECORDS.get(i));
        }
    }

    @Test
    void theLayoutStartsWithBaseOffsetLengthCrcMagicAndVersion() {
        byte[] batch = BatchFormat.encodeOne(RECORDS.get(0));
        ByteBuffer buf = ByteBuffer.wrap(batch);
        assertThat(buf.getInt(8)).isEqualTo(batch.length - 12);
        assertThat(buf.get(16)).isEqualTo((byte) 0x54);
        assertThat(buf.get(17)).isEqualTo((byte) 1);
        assertThat(buf.getInt(32)).isEqualTo(1);
        assertThat(batch.length).isEqualTo(BatchFormat.HEADER_SIZE + BatchFormat.RECORD_OVERHEAD + 2 + 2 + 4 + 4 + 4 + 1);
    }

    @Test
    void theCrcCoversEveryByteAfterItselfButNotTheBaseOffsetTheWriterPatches() {
        byte[] batch = BatchFormat.encode(RECORDS, 0, 3);
        for (int i = 0; i < batch.length; i++) {
            byte[] copy = batch.clone();
            copy[i] ^= 0x01;
            boolean valid = BatchFormat.isValid(ByteBuffer.wrap(copy), 0, copy.length);
            if (i < BatchFormat.LENGTH) {
                assertThat(valid).as("baseOffset byte %d", i).isTrue();
            } else if (i >= BatchFormat.CRC) {
                assertThat(valid).as("flipped byte %d", i).isFalse();
            }
        }
    }
}
