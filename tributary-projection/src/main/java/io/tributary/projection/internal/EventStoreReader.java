package io.tributary.projection.internal;

import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.log.LogRecord;
import io.tributary.projection.EventStoreSource;
import io.tributary.projection.ProjectionLag;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Reads the event store's {@code $all} (filtered) after the stored position by paging {@link EventStore#readAll};
 * the store's watermark makes this gap-free. When nothing new is visible it waits {@code wait} before reading again.
 */
final class EventStoreReader implements SourceReader<RecordedEvent> {

    private static final String PARTITION = EventStoreSource.PARTITION;

    private final EventStoreSource source;
    private long position = EventStore.BEGINNING;
    private volatile boolean woken;

    EventStoreReader(EventStoreSource source) {
        this.source = source;
    }

    @Override
    public Map<String, Long> seek(Map<String, Long> checkpoints) {
        position = checkpoints.getOrDefault(PARTITION, EventStore.BEGINNING);
        return Map.of(PARTITION, position);
    }

    @Override
    public Batch<RecordedEvent> poll(int max, Duration wait, @Nullable Map<String, Long> limits)
            throws InterruptedException {
        long limit = limits == null ? Long.MAX_VALUE : limits.getOrDefault(PARTITION, EventStore.BEGINNING);
        if (position >= limit) {
            pause(wait);
            return Batch.empty();
        }
        AllSlice slice = source.store().readAll(position, max, source.filter());
        List<RecordedEvent> events = new ArrayList<>(slice.events().size());
        for (RecordedEvent e : slice.events()) {
            if (e.position() > limit) {
                break;
            }
            events.add(e);
        }
        // Every matching event up to nextPosition is in the slice, so up to the limit nothing was missed either.
        long next = Math.max(position, Math.min(slice.nextPosition(), limit));
        if (events.isEmpty() && next == position) {
            pause(wait);
            return Batch.empty();
        }
        position = next;
        return new Batch<>(events, Map.of(PARTITION, next));
    }

    private void pause(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!woken && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Math.min(deadline - System.nanoTime(), 5_000_000L));
            if (Thread.interrupted()) {
                throw new InterruptedException("projection reader interrupted");
            }
        }
        woken = false;
    }

    @Override
    public String partitionOf(RecordedEvent event) {
        return PARTITION;
    }

    @Override
    public long positionOf(RecordedEvent event) {
        return event.position();
    }

    @Override
    public Headers headersOf(RecordedEvent event) {
        return event.metadata();
    }

    @Override
    public LogRecord asLogRecord(RecordedEvent event) {
        return new LogRecord(PARTITION, 0, event.position(), event.recordedAt(),
                event.stream().getBytes(StandardCharsets.UTF_8), event.data(),
                event.metadata().withIfAbsent(StandardHeaders.EVENT_ID, event.eventId().toString()));
    }

    @Override
    public String topic() {
        return PARTITION;
    }

    @Override
    public long timestampOf(RecordedEvent event) {
        return event.recordedAt();
    }

    @Override
    public void wakeup() {
        woken = true;
    }

    @Override
    public void close() {
    }

    /** Counts matching events after the checkpoint, reading at most {@code countLimit} of them. */
    static ProjectionLag lag(EventStoreSource source, Map<String, Long> checkpoints, long countLimit) {
        long pos = checkpoints.getOrDefault(PARTITION, EventStore.BEGINNING);
        long count = 0;
        long oldest = -1;
        boolean end = false;
        while (count < countLimit) {
            AllSlice slice = source.store().readAll(pos, (int) Math.min(1000, countLimit - count), source.filter());
            if (oldest < 0 && !slice.events().isEmpty()) {
                oldest = slice.events().getFirst().recordedAt();
            }
            count += slice.events().size();
            boolean moved = slice.nextPosition() != pos;
            pos = slice.nextPosition();
            if (slice.endOfAll() || !moved) {
                end = true;
                break;
            }
        }
        boolean exact = end;
        Duration time = count == 0 || oldest < 0 ? Duration.ZERO
                : Duration.ofMillis(Math.max(0, System.currentTimeMillis() - oldest));
        return new ProjectionLag(count, time, exact, Map.of(PARTITION, count));
    }
}
