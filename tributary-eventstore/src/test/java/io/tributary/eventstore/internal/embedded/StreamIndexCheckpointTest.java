package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.embedded.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint encodes a capture of the index, not the live index: the store takes the capture under its write
 * lock and encodes and writes it after letting go, while appends, deletes and metadata changes go on.
 */
class StreamIndexCheckpointTest {

    private static List<EventData> events(int n) {
        List<EventData> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(EventData.of("E", ("e" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    @Test
    void writesTheIndexAsCapturedEvenIfItChangesBeforeTheWrite() throws Exception {
        StreamIndex index = new StreamIndex();
        long offset = 0;
        for (int s = 0; s < 50; s++) {
            for (int a = 0; a < 3; a++) {
                index.addAppend("order-" + s, a * 2L, 1_000L + offset, events(2), offset++);
            }
        }
        index.stream("order-7").snapshots.put(3L, offset++);
        index.stream("order-8").metadata = StreamMetadata.none().withMaxCount(2);
        index.softDelete(index.stream("order-9"), 6);
        String atCapture = index.fingerprint();
        long covered = offset;
        StreamIndex.Image image = index.capture();

        // what appenders do while the checkpoint is being encoded
        index.addAppend("order-1", 6, 2_000L, events(5), offset++);
        index.addAppend("order-new", 0, 2_000L, events(1), offset++);
        index.tombstone(index.stream("order-2"));
        index.stream("order-3").metadata = StreamMetadata.none().withTruncateBefore(4);
        index.stream("order-7").snapshots.put(5L, offset++);
        index.softDelete(index.stream("order-4"), 6);

        Path dir = EmbeddedStores.newDir();
        StreamIndex.write(dir, image, covered);
        StreamIndex loaded = StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow();
        assertThat(loaded.fingerprint()).isEqualTo(atCapture);
        assertThat(loaded.coveredOffset).isEqualTo(covered);
    }

    @Test
    void refusesToCaptureAStreamWhoseAppendIsStillWaitingForTheLog() {
        // The image keeps the stream's arrays; an acknowledgement after more appends grew (copied) them would land in
        // the new array only, and the image would still say -1. So capture must refuse, not promise that offset.
        StreamIndex index = new StreamIndex();
        index.addAppend("c", 0, 1L, events(1), 0);
        index.addAppend("c", 1, 2L, events(1), -1);
        org.assertj.core.api.Assertions.assertThatThrownBy(index::capture)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'c'").hasMessageContaining("1..1")
                .hasMessageContaining("in flight");
    }

    @Test
    void refusesToCaptureAStreamWhoseLatestAppendTheStoreStillAwaits() {
        StreamIndex index = new StreamIndex();
        index.addAppend("c", 0, 1L, events(1), 0);
        index.find("c").inFlight = new java.util.concurrent.CompletableFuture<>();
        org.assertj.core.api.Assertions.assertThatThrownBy(index::capture)
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'c'");
    }

    @Test
    void aCaptureIsUnchangedByAppendsThatGrowTheStreamAfterIt() throws Exception {
        StreamIndex index = new StreamIndex();
        index.addAppend("c", 0, 1L, events(1), 0);
        String expected = index.fingerprint();
        StreamIndex.Image image = index.capture();
        for (int i = 1; i <= 10; i++) { // grows the stream's arrays past the ones the image holds
            int a = index.addAppend("c", i, 1L + i, events(1), -1);
            index.find("c").acknowledge(a, i);
        }
        Path dir = EmbeddedStores.newDir();
        StreamIndex.write(dir, image, 1);
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow().fingerprint()).isEqualTo(expected);
    }

    @Test
    void refusesToWriteAnAppendTheCheckpointDoesNotCover() {
        StreamIndex index = new StreamIndex();
        index.addAppend("cart-1", 0, 1L, events(1), 1);
        StreamIndex.Image image = index.capture();
        Path dir = EmbeddedStores.newDir();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StreamIndex.write(dir, image, 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cart-1");
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void aLargeIndexRoundTripsThroughTheStreamedEncoding() throws Exception {
        // more than one 256 KiB buffer of output, and one segment whose ids alone exceed the buffer
        StreamIndex index = new StreamIndex();
        long offset = 0;
        for (int s = 0; s < 3_000; s++) {
            index.addAppend("item-" + s, 0, offset, events(3), offset++);
        }
        index.addAppend("bulk-1", 0, offset, events(20_000), offset++);
        String expected = index.fingerprint();
        Path dir = EmbeddedStores.newDir();
        StreamIndex.write(dir, index.capture(), offset);
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow().fingerprint()).isEqualTo(expected);
    }
}
