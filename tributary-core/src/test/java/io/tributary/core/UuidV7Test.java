package io.tributary.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class UuidV7Test {

    @Test
    void hasVersion7AndRfcVariant() {
        UUID id = UuidV7.next();
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
    }

    @Test
    void idsAreStrictlyIncreasingEvenWithinOneMillisecond() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(UuidV7.next());
        }
        for (int i = 1; i < ids.size(); i++) {
            // Compare as unsigned 128-bit numbers: the msb carries time and counter.
            assertThat(Long.compareUnsigned(ids.get(i).getMostSignificantBits(), ids.get(i - 1).getMostSignificantBits()))
                    .as("id %d must sort after id %d", i, i - 1).isPositive();
        }
        Set<UUID> unique = new HashSet<>(ids);
        assertThat(unique).hasSize(ids.size());
    }

    @Test
    void idsFromConcurrentThreadsAreUniqueAndEachThreadSeesThemIncrease() throws Exception {
        int threads = 8;
        int perThread = 50_000;
        Set<UUID> all = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    long previous = 0;
                    for (int i = 0; i < perThread; i++) {
                        UUID id = UuidV7.next();
                        assertThat(id.version()).isEqualTo(7);
                        assertThat(id.variant()).isEqualTo(2);
                        assertThat(Long.compareUnsigned(id.getMostSignificantBits(), previous))
                                .as("an id must sort after the one this thread got before it").isPositive();
                        previous = id.getMostSignificantBits();
                        all.add(id);
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertThat(failures).isEmpty();
        // The ordered part (milliseconds and counter) is never handed out twice, whatever the random bits.
        assertThat(all).hasSize(threads * perThread);
        assertThat(all.stream().map(UUID::getMostSignificantBits).distinct().count()).isEqualTo((long) threads * perThread);
    }

    @Test
    void theLowBitsAreRandomPerId() {
        Set<Long> low = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            low.add(UuidV7.next().getLeastSignificantBits());
        }
        assertThat(low).hasSize(10_000);
    }

    @Test
    void embedsTheCreationTime() {
        long before = System.currentTimeMillis();
        UUID id = UuidV7.next();
        long after = System.currentTimeMillis();
        // Borrowing a millisecond under heavy load can move the stamp at most a little ahead.
        assertThat(UuidV7.timestampOf(id)).isBetween(before, after + 50);
    }

    @Test
    void timestampOfRejectsOtherVersions() {
        assertThatThrownBy(() -> UuidV7.timestampOf(UUID.randomUUID()))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("version 4");
    }
}
