package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sealed index with no entries loads as an empty buffer; growing it doubled its capacity, 0, so the next append
 * threw IndexOutOfBoundsException. That happens when a roll fails after sealing the segment and appends go on in it,
 * e.g. a time index whose sealed records all had timestamp -1, followed by a record with a timestamp.
 */
class SegmentIndexGrowthTest {

    @TempDir
    Path dir;

    @Test
    void appendsToALoadedTimeIndexThatHasNoEntries() throws IOException {
        Path file = dir.resolve("0.timeindex");
        SegmentIndex.emptyTimes().writeTo(file);
        SegmentIndex loaded = SegmentIndex.load(file, true, 100).orElseThrow();
        assertThat(loaded.count()).isZero();

        for (int i = 0; i < 100; i++) { // past the first growth and the next doubling
            loaded.appendTime(1_000 + i, i);
        }

        assertThat(loaded.count()).isEqualTo(100);
        assertThat(loaded.lastTimestamp()).isEqualTo(1_099);
        assertThat(loaded.scanStartForTimestamp(1_050)).isEqualTo(49);
    }

    @Test
    void appendsToALoadedOffsetIndexThatHasNoEntries() throws IOException {
        Path file = dir.resolve("0.index");
        SegmentIndex.emptyOffsets().writeTo(file);
        SegmentIndex loaded = SegmentIndex.load(file, false, 100).orElseThrow();

        for (int i = 0; i < 100; i++) {
            loaded.appendOffset(i * 2, i * 10);
        }

        assertThat(loaded.count()).isEqualTo(100);
        assertThat(loaded.floorPosition(51)).isEqualTo(250);
    }
}
