package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The store's table of event ids, split so that no single rehash stalls every append: every id put is found where it
 * was put, a removed one is gone while the ids probed past it stay found, and the ids spread over all the tables
 * (random v4 ids and time-ordered v7-style ids alike).
 */
class EventIdsTest {

    @Test
    void findsEveryIdPutAndForgetsEveryIdRemoved() {
        StreamIndex.EventIds ids = new StreamIndex.EventIds();
        List<UUID> all = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            UUID id = UUID.randomUUID();
            all.add(id);
            ids.put(id.getMostSignificantBits(), id.getLeastSignificantBits(), i % 7, i);
        }
        assertThat(ids.size()).isEqualTo(50_000);
        for (int i = 0; i < all.size(); i += 2) {
            ids.remove(all.get(i).getMostSignificantBits(), all.get(i).getLeastSignificantBits());
        }
        for (int i = 0; i < all.size(); i++) {
            long ref = ids.get(all.get(i).getMostSignificantBits(), all.get(i).getLeastSignificantBits());
            if (i % 2 == 1) {
                assertThat(StreamIndex.EventIds.streamSlotOf(ref)).as("id %d", i).isEqualTo(i % 7);
                assertThat(StreamIndex.EventIds.ordinalOf(ref)).as("id %d", i).isEqualTo(i);
            } else {
                assertThat(ref).as("id %d", i).isEqualTo(StreamIndex.EventIds.ABSENT);
            }
        }
        assertThat(ids.size()).isEqualTo(25_000);
    }

    @Test
    void removalsKeepEveryOtherIdFindable() {
        // Removing an id from the middle of a probe run must move the later ids of the run back, or a lookup would
        // stop at the hole; random puts and removes over a small id space, checked against a HashMap, seed logged.
        long seed = System.nanoTime();
        Random random = new Random(seed);
        StreamIndex.EventIds ids = new StreamIndex.EventIds();
        java.util.Map<UUID, Integer> expected = new java.util.HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            UUID id = new UUID(random.nextInt(64), random.nextInt(512));
            if (random.nextInt(3) == 0) {
                ids.remove(id.getMostSignificantBits(), id.getLeastSignificantBits());
                expected.remove(id);
            } else {
                ids.put(id.getMostSignificantBits(), id.getLeastSignificantBits(), 3, step);
                expected.put(id, step);
            }
        }
        assertThat(ids.size()).as("seed %d", seed).isEqualTo(expected.size());
        for (int msb = 0; msb < 64; msb++) {
            for (int lsb = 0; lsb < 512; lsb++) {
                Integer ordinal = expected.get(new UUID(msb, lsb));
                long ref = ids.get(msb, lsb);
                if (ordinal == null) {
                    assertThat(ref).as("seed %d, id %d/%d", seed, msb, lsb).isEqualTo(StreamIndex.EventIds.ABSENT);
                } else {
                    assertThat(StreamIndex.EventIds.ordinalOf(ref)).as("seed %d, id %d/%d", seed, msb, lsb)
                            .isEqualTo(ordinal);
                }
            }
        }
    }

    @Test
    void theNilIdIsAnIdLikeAnyOther() {
        StreamIndex.EventIds ids = new StreamIndex.EventIds();
        assertThat(ids.get(0, 0)).isEqualTo(StreamIndex.EventIds.ABSENT);
        ids.put(0, 0, 0, 0);
        assertThat(ids.get(0, 0)).isZero();
        ids.remove(0, 0);
        assertThat(ids.get(0, 0)).isEqualTo(StreamIndex.EventIds.ABSENT);
    }

    @Test
    void timeOrderedIdsSpreadOverEveryMap() {
        StreamIndex.EventIds ids = new StreamIndex.EventIds();
        int n = 64_000;
        long millis = 1_790_000_000_000L;
        for (int i = 0; i < n; i++) {
            // v7 layout: 48-bit milliseconds, version 7, a counter; variant bits then random low bits
            long msb = ((millis + i / 100) << 16) | 0x7000L | (i % 100);
            long lsb = 0x8000_0000_0000_0000L | (i * 0x5DEECE66DL & 0x3FFF_FFFF_FFFF_FFFFL);
            ids.put(msb, lsb, 0, i);
        }
        int[] perMap = ids.sizesPerMap();
        assertThat(perMap).hasSize(StreamIndex.EventIds.SHARDS);
        int average = n / StreamIndex.EventIds.SHARDS;
        for (int size : perMap) {
            assertThat(size).isBetween(average / 2, average * 2);
        }
    }
}
