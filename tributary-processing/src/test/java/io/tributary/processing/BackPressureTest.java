package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A fast producer and a slow handler: the processor holds at most its bound per partition and pauses fetching. */
@Tag("slow")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BackPressureTest {

    @TempDir
    Path dir;

    @Test
    void holdsAtMostTheBoundPerPartitionAndPausesFetchingWhenFull() throws Exception {
        int bound = 100;
        int total = 6000;
        try (EventLog log = openLog(dir)) {
            createTopic(log, "clicks", 2);
            AtomicInteger handled = new AtomicInteger();
            AtomicInteger maxHeldSeen = new AtomicInteger();
            AtomicBoolean pausedSeen = new AtomicBoolean();
            Set<Integer> partitionsSeen = ConcurrentHashMap.newKeySet();
            ProcessorConfig cfg = Fixtures.config("slow", "clicks").withMaxBufferedPerPartition(bound)
                    .withConcurrencyPerPartition(4);
            try (Processor p = Processor.start(log, cfg, e -> {
                partitionsSeen.add(e.partition());
                Thread.sleep(1);
                handled.incrementAndGet();
            })) {
                CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
                    try (LogProducer producer = log.producer()) {
                        for (int i = 0; i < total; i++) {
                            producer.append("clicks", Record.of(("k" + (i % 50)).getBytes(StandardCharsets.UTF_8),
                                    new byte[256]));
                        }
                        producer.flush();
                    }
                });
                while (handled.get() < total) {
                    for (BufferFill f : p.bufferFill()) {
                        maxHeldSeen.accumulateAndGet(f.held(), Math::max);
                        assertThat(f.held()).as("held events of %s", f.partition()).isLessThanOrEqualTo(bound);
                        assertThat(f.inFlight()).isLessThanOrEqualTo(4);
                        assertThat(f.ratio()).isBetween(0.0, 1.0);
                        if (f.paused()) {
                            pausedSeen.set(true);
                        }
                    }
                    assertThat(p.state()).isEqualTo(ProcessorState.RUNNING);
                    Thread.sleep(2);
                }
                producing.get(30, TimeUnit.SECONDS);
                await("everything committed", Duration.ofSeconds(30),
                        () -> log.admin().describeGroup("slow").totalLag() == 0);
            }
            assertThat(partitionsSeen).containsExactlyInAnyOrder(0, 1);
            assertThat(maxHeldSeen.get()).as("the buffer did fill up").isGreaterThan(bound / 2);
            assertThat(pausedSeen).as("fetching paused at the bound").isTrue();
        }
    }
}
