package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The sparse indexes answer like a linear search over their entries, on the heap and after a write and
 * memory-mapped reload. jqwik prints each property's seed in the test report; re-run with {@code @Property(seed=...)}.
 */
class SegmentIndexPropertyTest {

    @Property(tries = 200)
    void floorPositionMatchesALinearSearch(@ForAll @Size(max = 300) List<@IntRange(min = 1, max = 50) Integer> offsetGaps,
                                           @ForAll @Size(min = 1, max = 50) List<@IntRange(min = -5, max = 20_000) Integer> queries)
            throws IOException {
        int[] rel = new int[offsetGaps.size()];
        int[] pos = new int[offsetGaps.size()];
        SegmentIndex index = SegmentIndex.emptyOffsets();
        int o = 0;
        for (int i = 0; i < rel.length; i++) {
            rel[i] = o;
            pos[i] = i * 4096 + offsetGaps.get(i);
            index.appendOffset(rel[i], pos[i]);
            o += offsetGaps.get(i);
        }
        Path file = Files.createTempFile("index", ".index");
        try {
            index.writeTo(file);
            SegmentIndex reloaded = SegmentIndex.load(file, false, Integer.MAX_VALUE).orElseThrow();
            for (int q : queries) {
                int expected = 0;
                for (int i = 0; i < rel.length; i++) {
                    if (rel[i] <= q) {
                        expected = pos[i];
                    }
                }
                assertThat(index.floorPosition(q)).as("floor of %d", q).isEqualTo(expected);
                assertThat(reloaded.floorPosition(q)).as("floor of %d after reload", q).isEqualTo(expected);
            }
        } finally {
            Files.delete(file);
        }
    }

    @Property(tries = 200)
    void timeScanStartNeverSkipsARecordAtOrAfterTheTarget(
            @ForAll @Size(min = 1, max = 300) List<@IntRange(min = 0, max = 1000) Integer> batchMaxTimestamps,
            @ForAll @IntRange(min = 0, max = 1100) int target) {
        // what the writer does: an entry whenever the running maximum grows
        SegmentIndex index = SegmentIndex.emptyTimes();
        long runningMax = -1;
        for (int i = 0; i < batchMaxTimestamps.size(); i++) {
            if (batchMaxTimestamps.get(i) > runningMax) {
                runningMax = batchMaxTimestamps.get(i);
                index.appendTime(runningMax, i);
            }
        }
        int start = index.scanStartForTimestamp(target);
        int firstMatch = -1;
        for (int i = 0; i < batchMaxTimestamps.size(); i++) {
            if (batchMaxTimestamps.get(i) >= target) {
                firstMatch = i;
                break;
            }
        }
        if (firstMatch >= 0) {
            assertThat(start).isLessThanOrEqualTo(firstMatch);
        }
        for (int i = 0; i < start; i++) {
            assertThat(batchMaxTimestamps.get(i)).as("batch %d before the scan start", i).isLessThan(target);
        }
    }

    @Property(tries = 50)
    void aDamagedIndexFileIsNeverLoaded(@ForAll @Size(min = 1, max = 64) List<Byte> garbage) throws IOException {
        Path file = Files.createTempFile("index", ".index");
        try {
            byte[] bytes = new byte[garbage.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = garbage.get(i);
            }
            Files.write(file, bytes);
            assertThat(SegmentIndex.load(file, false, 1 << 20)).isEmpty();
        } finally {
            Files.delete(file);
        }
    }
}
