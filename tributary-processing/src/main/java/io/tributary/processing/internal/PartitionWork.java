package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
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
 * window is empty. {@code waiting} holds, per key, the events not yet handed to a handler, in offset order; a key is
 * either <em>busy</em> (a task holds some of its events) or <em>ready</em> (it has waiting events and no task). Only
 * ready keys are dispatched, which is what keeps one key strictly sequential.
 *
 * <p><b>Thread-safety:</b> none; owned by the processor's poll loop thread.
 */
final class PartitionWork {

    /** The key of every event without one: such events share one queue and so keep their offset order. */
    private static final Object NO_KEY = new Object();

    final TopicPartition partition;
    private final int capacity;
    private final ArrayDeque<PendingEvent> window = new ArrayDeque<>();
    private final Map<Object, ArrayDeque<PendingEvent>> waiting = new HashMap<>();
    private final LinkedHashSet<Object> ready = new LinkedHashSet<>();
    private final Set<Object> busy = new HashSet<>();
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
        return key == null ? NO_KEY : ByteBuffer.wrap(key);
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

    /** Accepts a fetched event; the caller checked {@link #hasRoom()}. */
    void add(LogRecord record, long nowNanos) {
        PendingEvent e = new PendingEvent(record, keyOf(record), nowNanos);
        window.addLast(e);
        ArrayDeque<PendingEvent> q = waiting.computeIfAbsent(e.key, k -> new ArrayDeque<>());
        q.addLast(e);
        if (!busy.contains(e.key)) {
            ready.add(e.key);
        }
    }

    /** Arrival time of the oldest event that could be dispatched now, if any. */
    OptionalLong oldestReadyArrival() {
        long oldest = Long.MAX_VALUE;
        for (Object k : ready) {
            oldest = Math.min(oldest, waiting.get(k).peekFirst().arrivalNanos);
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
        if (ready.isEmpty()) {
            return List.of();
        }
        List<PendingEvent> batch = new ArrayList<>();
        List<Object> taken = new ArrayList<>();
        long bytes = 0;
        boolean full = false;
        for (Object k : ready) {
            if (parked.test(k)) {
                continue;
            }
            ArrayDeque<PendingEvent> q = waiting.get(k);
            boolean tookAny = false;
            for (PendingEvent e : q) {
                int size = e.record.sizeInBytes();
                if (!batch.isEmpty() && (batch.size() >= maxEvents || bytes + size > maxBytes)) {
                    full = true;
                    break;
                }
                batch.add(e);
                bytes += size;
                tookAny = true;
            }
            if (tookAny) {
                taken.add(k);
            }
            if (full || batch.size() >= maxEvents) {
                full = true;
                break;
            }
        }
        if (!full && !flush) {
            return List.of();
        }
        for (Object k : taken) {
            ready.remove(k);
            busy.add(k);
        }
        Set<PendingEvent> chosen = Collections.newSetFromMap(new IdentityHashMap<>());
        chosen.addAll(batch);
        for (Object k : taken) {
            ArrayDeque<PendingEvent> q = waiting.get(k);
            while (!q.isEmpty() && chosen.contains(q.peekFirst())) {
                q.pollFirst();
            }
            if (q.isEmpty()) {
                waiting.remove(k);
            }
        }
        batch.sort(Comparator.comparingLong(e -> e.record.offset()));
        inFlightEvents += batch.size();
        return batch;
    }

    /**
     * Takes every waiting event of one ready key for which {@code parked} holds (they go to the dead-letter topic
     * instead of the handler), in offset order, making the key busy; empty if there is none.
     */
    List<PendingEvent> takeParked(Predicate<Object> parked) {
        for (Iterator<Object> it = ready.iterator(); it.hasNext(); ) {
            Object k = it.next();
            if (parked.test(k)) {
                it.remove();
                busy.add(k);
                List<PendingEvent> events = new ArrayList<>(waiting.remove(k));
                inFlightEvents += events.size();
                return events;
            }
        }
        return List.of();
    }

    /** Marks a task's events done and frees their keys; releases the done prefix of the window. */
    void complete(HandlerTask task) {
        running.remove(task);
        inFlightEvents -= task.events.size();
        Set<Object> keys = new LinkedHashSet<>();
        for (PendingEvent e : task.events) {
            e.done = true;
            keys.add(e.key);
        }
        for (Object k : keys) {
            busy.remove(k);
            if (waiting.containsKey(k)) {
                ready.add(k);
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
        for (Iterator<HandlerTask> it = running.iterator(); it.hasNext(); ) {
            Thread t = it.next().thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }
}
