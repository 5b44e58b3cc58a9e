package io.tributary.projection.internal;

import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.projection.EventStoreSource;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Lag of an event-store source, counted incrementally: the probe scans {@code $all} (filtered) forward from where its
 * last sample stopped and counts the matching events it passes; the worker's applied-event count says how many of
 * them are behind the checkpoint already. So a sample reads only the events appended since the last one (at most
 * {@code budget} per sample; until the scan reaches the head the count is a lower bound, {@code exact} false). The
 * oldest unapplied event (the first match after the checkpoint) is read once per checkpoint value. Sampler thread only.
 */
final class EventStoreLagProbe implements LagProbe {

    private static final String PARTITION = EventStoreSource.PARTITION;

    private final EventStoreSource source;
    private final long budget;
    private @Nullable Object baseOwner;
    private long eventsAtBase;
    private long scanned = EventStore.BEGINNING;
    private long matched;
    private long oldestFor = Long.MIN_VALUE;
    private long oldestMillis = -1;

    EventStoreLagProbe(EventStoreSource source, long budget) {
        this.source = source;
        this.budget = budget;
    }

    @Override
    public Map<String, PartitionLag> sample(Object owner, Map<String, Long> checkpoints, long events) {
        long checkpoint = checkpoints.getOrDefault(PARTITION, EventStore.BEGINNING);
        long applied = events - eventsAtBase;
        if (owner != baseOwner || checkpoint > scanned || applied < 0 || applied > matched) {
            // A new worker (restart, rebuild switch) or the worker passed the scan: count afresh from its checkpoint.
            baseOwner = owner;
            eventsAtBase = events;
            scanned = checkpoint;
            matched = 0;
            applied = 0;
        }
        long read = 0;
        boolean atHead = false;
        while (read < budget) {
            AllSlice slice = source.store().readAll(scanned, (int) Math.min(1000, budget - read), source.filter());
            matched += slice.events().size();
            read += slice.events().size();
            boolean moved = slice.nextPosition() != scanned;
            scanned = Math.max(scanned, slice.nextPosition());
            if (slice.endOfAll() || !moved) {
                atHead = true;
                break;
            }
        }
        long behind = matched - applied;
        long oldest = -1;
        if (behind > 0) {
            if (oldestFor != checkpoint) {
                oldestMillis = firstAfter(checkpoint);
                oldestFor = oldestMillis < 0 ? Long.MIN_VALUE : checkpoint;
            }
            oldest = oldestMillis;
        }
        return Map.of(PARTITION, new PartitionLag(behind, oldest, atHead));
    }

    /** {@code recordedAt} of the first matching event after {@code position}; -1 if none is visible. */
    private long firstAfter(long position) {
        long pos = position;
        for (int page = 0; page < 1000; page++) {
            AllSlice slice = source.store().readAll(pos, 1, source.filter());
            if (!slice.events().isEmpty()) {
                RecordedEvent e = slice.events().getFirst();
                return e.recordedAt();
            }
            if (slice.endOfAll() || slice.nextPosition() == pos) {
                return -1;
            }
            pos = slice.nextPosition();
        }
        return -1;
    }

    @Override
    public void close() {
    }
}
