package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The store's table of event ids, split so that no single rehash stalls every append: every id put is found, a
 * removed one is gone, and the ids spread over all the maps (random v4 ids and time-ordered v7-style ids alike).
 */
class EventIdsTest {

    private static final StreamIndex.IdRef REF = new StreamIndex.IdRef(null, null, 0);

    @Test
    void findsEveryIdPutAndForgetsEveryIdRemoved() {
        StreamIndex.EventIds ids = new StreamIndex.EventIds();
        List<UUID> all = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            UUID id = UUID.randomUUID();
            all.add(id);
            ids.put(id, REF);
        }
        assertThat(ids.size()).isEqualTo(50_000);
        for (int i = 0; i < all.size(); i += 2) {
            ids.remove(all.get(i));
        }
        for (int i = 0; i < all.size(); i++) {
            assertThat(ids.get(all.get(i)) != null).as("id %d", i).isEqualTo(i % 2 == 1);
        }
        assertThat(ids.size()).isEqualTo(25_000);
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
            ids.put(new UUID(msb, lsb), REF);
        }
        int[] perMap = ids.sizesPerMap();
        assertThat(perMap).hasSize(StreamIndex.EventIds.SHARDS);
        int average = n / StreamIndex.EventIds.SHARDS;
        for (int size : perMap) {
            assertThat(size).isBetween(average / 2, average * 2);
        }
    }
}
