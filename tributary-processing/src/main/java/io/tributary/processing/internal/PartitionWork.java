package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The events of one partition between fetch and commit, and the per-key scheduling over them.
 *
 * <p><b>Structures.</b> {@code window} holds every held event in offset order (done or not); its head is the lowest
 * event not yet released, so the commit position is the head's offset, or one past the last released event when the
 * window is empty. {@code keys} holds one {@link KeySlot} per key that has waiting events or is busy: the events not
 * yet handed to a handler, in offset order, and whether a task holds some of its events (<em>busy</em>). A key with
 * waiting events and no task is <em>ready</em>; ready slots are linked in the order they became ready. Only ready
 * keys are dispatched, which is what keeps one key strictly sequential.
 *
 * <p><b>Cost per event.</b> The poll loop spends most of its time here, so an event costs one hash lookup (in
 * {@link #add}): keys are {@link EventKey}s, which hash their bytes once, and each event carries its slot, so taking
 * and completing it needs no lookup at all.
 *
 * <p><b>Thread-safety:</b> none; owned by the processor's poll loop thread.
 */
final class PartitionWork {

    /** The key of every event without one: such events share one queue and so keep their offset order. */
    private static final Object NO_KEY = new Object();

    /**
     * A record key as a map key: equal when the bytes are equal. The hash is computed once; {@code ByteBuffer.wrap},
     * used before, rehashed every byte on every lookup and was about a third of a busy poll loop thread.
     */
    static final class EventKey {
        private final byte[] bytes;
        private final int hash;

        EventKey(byte[] bytes) {
            this.bytes = bytes;
            this.hash = Arrays.hashCode(bytes);
        }

        @Override
        public boolean equals(Object o) {
            return o == this || o instanceof EventKey other && other.hash == hash && Arrays.equals(other.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return "EventKey" + Arrays.toString(bytes);
        }
    }

    /** One key's scheduling state; lives in {@code keys} while the key has waiting events or is busy. */
    static final class KeySlot {
        final Object key;
        final ArrayDeque<PendingEvent> waiting = new ArrayDeque<>(4);
        boolean busy;
        /** Links of the ready list; {@code inReady} tells whether the slot is on it. */
        @Nullable KeySlot prevReady;
        @Nullable KeySlot nextReady;
        boolean inReady;

        KeySlot(Object key) {
            this.key = key;
        }
    }

    final TopicPartition partition;
    private final int capacity;
    private final ArrayDeque<PendingEvent> window = new ArrayDeque<>();
    private final Map<Object, KeySlot> keys = new HashMap<>();
    private @Nullable KeySlot readyHead;
    private @Nullable KeySlot readyTail;
    private int readyCount;
    final Set<HandlerTask> running = new HashSet<>();
    private int inFlightEvents;
    private long releasedEnd = -1;
    private long committed = -1;
    boolean paused;
    boolean dispatching = true;

    PartitionWork(TopicPartition partition, int capacity) {
        this.partition = partition;
        this.capacity = capacity;
    }

    static Object keyOf(LogRecord record) {
        byte[] key = record.key();
        return key == null ? NO_KEY : new EventKey(key);
    }

    /** Events held: fetched and not yet released (buffered or in flight or done above an unfinished one). */
    int held() {
        return window.size();
    }

    /** The lowest event not yet completed (the window's head: its done prefix is always released), if any. */
    @Nullable LogRecord oldestUnfinished() {
        PendingEvent head = window.peekFirst();
        return head == null ? null : head.record;
    }

    int inFlightEvents() {
        return inFlightEvents;
    }

    int runningTasks() {
        return running.size();
    }

    boolean hasRoom() {
        return window.size() < capacity;
    }

    /** Keys that have waiting events and no task. */
    int readyKeys() {
        return readyCount;
    }

    /** Accepts a fetched event; the caller checked {@link #hasRoom()}. */
    void add(LogRecord record, long nowNanos) {
        Object key = keyOf(record);
        KeySlot slot = keys.get(key);
        if (slot == null) {
            slot = new KeySlot(key);
            keys.put(key, slot);
        }
        // The slot's key object is shared by all its events, so later equality checks on it (dead-letter desk)
        // mostly hit the identity fast path.
        PendingEvent e = new PendingEvent(record, slot.key, nowNanos);
        e.slot = slot;
        window.addLast(e);
        slot.waiting.addLast(e);
        if (!slot.busy && !slot.inReady) {
            linkReady(slot);
        }
    }

    /**
     * Accepts a fetched event the processor's filter rejected: it is done at once, with no key slot and no task. Held
     * in the window only while an unfinished event is below it, so the commit position never passes that one; with
     * nothing below it, it is released on the spot. The caller checked {@link #hasRoom()}.
     */
    void skip(LogRecord record, long nowNanos) {
        if (window.isEmpty()) {
            releasedEnd = record.offset() + 1;
            return;
        }
        PendingEvent e = new PendingEvent(record, NO_KEY, nowNanos);
        e.done = true;
        window.addLast(e);
    }

    private void linkReady(KeySlot s) {
        s.inReady = true;
        s.prevReady = readyTail;
        s.nextReady = null;
        if (readyTail == null) {
            readyHead = s;
        } else {
            readyTail.nextReady = s;
        }
        readyTail = s;
        readyCount++;
    }

    private void unlinkReady(KeySlot s) {
        KeySlot p = s.prevReady;
        KeySlot n = s.nextReady;
        if (p == null) {
            readyHead = n;
        } else {
            p.nextReady = n;
        }
        if (n == null) {
            readyTail = p;
        } else {
            n.prevReady = p;
        }
        s.prevReady = null;
        s.nextReady = null;
        s.inReady = false;
        readyCount--;
    }

    /** Arrival time of the oldest event that could be dispatched now, if any. */
    OptionalLong oldestReadyArrival() {
        long oldest = Long.MAX_VALUE;
        for (KeySlot s = readyHead; s != null; s = s.nextReady) {
            oldest = Math.min(oldest, s.waiting.getFirst().arrivalNanos);
        }
        return oldest == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(oldest);
    }

    /**
     * Takes the next batch from ready keys: whole key queues in arrival order of keys, up to {@code maxEvents} and
     * about {@code maxBytes}, at least one event. Returns an empty list when nothing is ready, or when the batch is
     * not full and {@code flush} is false (the caller waits for more events or for the batch wait to pass). Every key
     * with events in the returned batch becomes busy. Keys for which {@code parked} holds are left for
     * {@link #takeParked}.
     */
    List<PendingEvent> takeBatch(int maxEvents, long maxBytes, boolean flush, Predicate<Object> parked) {
        if (readyHead == null) {
            return List.of();
        }
        // First pass only counts, so a batch that is not taken (not full, no flush) costs no allocation. A key's
        // events in the batch are a prefix of its queue; only the last key taken can be cut short.
        int count = 0;
        long bytes = 0;
        boolean full = false;
        KeySlot last = null;
        int lastTaken = 0;
        for (KeySlot s = readyHead; s != null; s = s.nextReady) {
            if (parked.test(s.key)) {
                continue;
            }
            int took = 0;
            PendingEvent head = s.waiting.getFirst();
            if (head.alone) {
                // Left undone by a partial batch: handed again in a call of its own, so its failure is its own.
                if (count == 0) {
                    count = 1;
                    bytes = head.sizeInBytes;
                    last = s;
                    lastTaken = 1;
                }
                full = true;
                break;
            }
            for (PendingEvent e : s.waiting) {
                if (e.alone) {
                    full = true;   // not reached while handed-again events stay a prefix of their key's queue
                    break;
                }
                int size = e.sizeInBytes;
                if (count > 0 && (count >= maxEvents || bytes + size > maxBytes)) {
                    full = true;
                    break;
                }
                count++;
                bytes += size;
                took++;
            }
            if (took > 0) {
                last = s;
                lastTaken = took;
            }
            if (full || count >= maxEvents) {
                full = true;
                break;
            }
        }
        if (last == null || !full && !flush) {
            return List.of();
        }
        List<PendingEvent> batch = new ArrayList<>(count);
        boolean sorted = true;
        long previousOffset = Long.MIN_VALUE;
        KeySlot s = readyHead;
        while (s != null) {
            KeySlot next = s.nextReady;
            if (!parked.test(s.key)) {
                int take = s == last ? lastTaken : s.waiting.size();
                for (int i = 0; i < take; i++) {
                    PendingEvent e = s.waiting.pollFirst();
                    long offset = e.record.offset();
                    sorted &= offset > previousOffset;
                    previousOffset = offset;
                    batch.add(e);
                }
                unlinkReady(s);
                s.busy = true;
            }
            if (s == last) {
                break;
            }
            s = next;
        }
        if (!sorted) {
            batch = inOffsetOrder(batch);
        }
        inFlightEvents += batch.size();
        return batch;
    }

    /**
     * The batch sorted by offset. Its offsets are distinct and nearly dense (the window holds a partition's fetched
     * events contiguously), so each event is placed by its distance from the lowest offset: linear, with no
     * comparisons; a comparison sort was a fifth of a batched poll loop with 1,000 keys (JFR). A batch spread wider
     * than four slots per event (large compaction gaps) is sorted by comparison instead.
     */
    static List<PendingEvent> inOffsetOrder(List<PendingEvent> batch) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (PendingEvent e : batch) {
            long o = e.record.offset();
            min = Math.min(min, o);
            max = Math.max(max, o);
        }
        long span = max - min + 1;
        if (span > 4L * batch.size() + 64) {
            List<PendingEvent> sorted = new ArrayList<>(batch);
            sorted.sort(Comparator.comparingLong(e -> e.record.offset()));
            return sorted;
        }
        PendingEvent[] slots = new PendingEvent[(int) span];
        for (PendingEvent e : batch) {
            slots[(int) (e.record.offset() - min)] = e;
        }
        List<PendingEvent> sorted = new ArrayList<>(batch.size());
        for (PendingEvent e : slots) {
            if (e != null) {
                sorted.add(e);
            }
        }
        return sorted;
    }

    /**
     * Takes the waiting events of up to {@code maxKeys} ready keys for which {@code parked} holds (they go to the
     * dead-letter topic instead of the handler), one list per key in offset order, keys in ready order, making each
     * key busy; empty if there is none. One pass over the ready keys: taking one key per call scanned them all again
     * for each key and once more to find none left, about 2% of the demo's CPU while entries were open.
     */
    List<List<PendingEvent>> takeParked(Predicate<Object> parked, int maxKeys) {
        List<List<PendingEvent>> taken = List.of();
        KeySlot s = readyHead;
        while (s != null && taken.size() < maxKeys) {
            KeySlot next = s.nextReady;
            if (parked.test(s.key)) {
                unlinkReady(s);
                s.busy = true;
                List<PendingEvent> events = new ArrayList<>(s.waiting);
                s.waiting.clear();
                inFlightEvents += events.size();
                if (taken.isEmpty()) {
                    taken = new ArrayList<>();
                }
                taken.add(events);
            }
            s = next;
        }
        return taken;
    }

    /** Marks a task's events done and frees their keys; releases the done prefix of the window. */
    void complete(HandlerTask task) {
        running.remove(task);
        inFlightEvents -= task.events.size();
        for (PendingEvent e : task.events) {
            e.done = true;
            KeySlot s = e.slot;
            // A key is busy with at most one task, so the first of its events here frees it; the rest skip this.
            if (s != null && s.busy) {
                s.busy = false;
                if (s.waiting.isEmpty()) {
                    keys.remove(s.key);
                } else {
                    linkReady(s);
                }
            }
        }
        while (!window.isEmpty() && window.peekFirst().done) {
            releasedEnd = window.pollFirst().record.offset() + 1;
        }
    }

    /**
     * Marks a task's events done except those at {@code handAgain} offsets and, for each key with such an event, every
     * later event of that key in the task (so a key never runs ahead of an event left undone). Those go back to the
     * front of their key's queue, in offset order, each marked to be handed alone; their keys are ready again at once.
     * The window keeps them, so nothing is committed past them.
     */
    void completeExcept(HandlerTask task, Set<Long> handAgain) {
        running.remove(task);
        inFlightEvents -= task.events.size();
        Map<KeySlot, List<PendingEvent>> back = new HashMap<>();
        List<KeySlot> slots = new ArrayList<>();
        for (PendingEvent e : task.events) {
            KeySlot s = e.slot;
            if (s == null) {
                e.done = true;
                continue;
            }
            if (s.busy) {
                s.busy = false;   // freed once; relinked below after its events are back in its queue
                slots.add(s);
            }
            List<PendingEvent> returned = back.get(s);
            if (returned != null || handAgain.contains(e.record.offset())) {
                if (returned == null) {
                    returned = new ArrayList<>();
                    back.put(s, returned);
                }
                e.alone = true;
                returned.add(e);
            } else {
                e.done = true;
            }
        }
        for (KeySlot s : slots) {
            List<PendingEvent> returned = back.get(s);
            if (returned != null) {
                for (int i = returned.size() - 1; i >= 0; i--) {
                    s.waiting.addFirst(returned.get(i));
                }
            }
            if (s.waiting.isEmpty()) {
                keys.remove(s.key);
            } else {
                linkReady(s);
            }
        }
        while (!window.isEmpty() && window.peekFirst().done) {
            releasedEnd = window.pollFirst().record.offset() + 1;
        }
    }

    /** A failed task leaves its events held and its keys busy: nothing after them for those keys runs or commits. */
    void fail(HandlerTask task) {
        running.remove(task);
        inFlightEvents -= task.events.size();
    }

    /**
     * The offset to commit (the next to read) if it moved past the last committed one: the lowest held event not yet
     * released, or one past the last released event when nothing is held. Empty until some event was released.
     */
    OptionalLong uncommittedPosition() {
        if (releasedEnd < 0) {
            return OptionalLong.empty();
        }
        long position = window.isEmpty() ? releasedEnd : window.peekFirst().record.offset();
        return position > committed ? OptionalLong.of(position) : OptionalLong.empty();
    }

    void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    long lastCommitted() {
        return committed;
    }

    /** Interrupts every handler still running (their results are then ignored). */
    void interruptRunning() {
        // Mark every task first, then interrupt: a worker whose task ends at the first interrupt takes the next task
        // queued for a thread at once, and if that task were not marked yet its handler would be called after the
        // stop (seen with HandlerThreads.platform(1): the queued call ran once the running one was interrupted).
        for (HandlerTask t : running) {
            t.interruptRequested = true;
        }
        for (Iterator<HandlerTask> it = running.iterator(); it.hasNext(); ) {
            it.next().interrupt();
        }
    }
}
