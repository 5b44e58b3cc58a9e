package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.AppendResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression tests for two lost-wakeup bugs that left an {@code fsync=always} append unacknowledged forever:
 * the syncer thread read "what is already synced" when it was first scheduled rather than when it was created, and
 * a checkpoint that found nothing to do released the write lock without draining the appends queued meanwhile.
 */
@Timeout(120)
class AckLivenessTest {

    @TempDir
    Path dir;

    @Test
    void theFirstAppendToANewPartitionIsAcknowledgedEvenWhenItsSyncerStartsLate() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        // Busy threads make thread start-up slow, as on a loaded machine, where the bug showed.
        List<Thread> load = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            load.add(Thread.ofPlatform().daemon().start(() -> {
                long x = 0;
                while (!stop.get()) {
                    x += System.nanoTime() % 7;
                }
                assertThat(x).isNotNegative();
            }));
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 200; i++) {
                StorageFixture.topic(s, "t" + i, 1, Map.of());
                AppendResult r = p.append("t" + i, 0, record(null, "v", 1_000)).get(10, TimeUnit.SECONDS);
                assertThat(r.offset()).isZero();
            }
        } finally {
            stop.set(true);
            for (Thread t : load) {
                t.join();
            }
        }
    }

    @Test
    void appendsNeverStallWhileCheckpointsRunConcurrently() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            PartitionLog log = s.partitionFor(s.topic("t", true), 0);
            AtomicBoolean stop = new AtomicBoolean();
            Thread checkpointer = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        log.checkpoint();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            try {
                EmbeddedProducer p = StorageFixture.producer(s);
                for (int i = 0; i < 3_000; i++) {
                    assertThat(p.append("t", 0, record(null, "v" + i, 1_000)).get(10, TimeUnit.SECONDS).offset())
                            .isEqualTo(i);
                }
            } finally {
                stop.set(true);
                checkpointer.join();
            }
        }
    }
}
