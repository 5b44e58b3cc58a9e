package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterAction;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One unit of work run on a worker thread ({@link HandlerWorkers}): a handler call (an event or a batch) with its retries, the parking
 * of events behind a dead-lettered key, or an operator action on one dead-letter entry. The poll loop creates it and
 * reads its outcome only after taking it from the completion queue, which orders the virtual thread's writes before
 * those reads.
 */
final class HandlerTask {

    /** What the task does. */
    enum Kind {
        /** Call the handler; after the last failed attempt, dead-letter the events (if the policy says so). */
        HANDLE,
        /** Write the events to the dead-letter topic as parked, without calling the handler. */
        PARK,
        /** Carry out an operator action (or the release of a parked follower) on one dead-letter entry. */
        REDRIVE
    }

    final Kind kind;
    final PartitionWork work;
    final List<PendingEvent> events;
    final List<LogRecord> records;
    /** PARK: per event, the dead entry it waits behind, or null when the event is in the dead-letter topic already. */
    final List<@Nullable String> parkBehind;
    /** REDRIVE: the entry and what to do with it. */
    final @Nullable DeadLetter letter;
    final DeadLetterAction.@Nullable Kind action;
    /** The worker running this task, set when it is handed over; read by {@link #interrupt()}. */
    volatile HandlerWorkers.@Nullable Worker worker;
    /** Set by {@link #interrupt()}; a task handed over but not yet started then starts interrupted. */
    volatile boolean interruptRequested;
    int attempts;
    long firstFailureMillis;
    long lastFailureMillis;
    @Nullable Throwable failure;
    /**
     * HANDLE with a partial batch handler: the offsets of the events the call left to be handed again one at a time,
     * or null when it completed them all.
     */
    java.util.@Nullable Set<Long> handAgain;
    /** HANDLE: the last failure was written to the dead-letter topic, so the events count as done. */
    boolean deadLettered;
    /** Entry records (dead or parked) this task wrote, as they now stand in the dead-letter topic. */
    final List<DeadLetter> written = new ArrayList<>();
    /** REDRIVE: the entry was closed (redriven, skipped or purged). */
    boolean closedEntry;
    /** Writing to the dead-letter topic failed; the events are not done. */
    @Nullable Throwable dlqFailure;

    private HandlerTask(Kind kind, PartitionWork work, List<PendingEvent> events, List<@Nullable String> parkBehind,
                        @Nullable DeadLetter letter, DeadLetterAction.@Nullable Kind action) {
        this.kind = kind;
        this.work = work;
        this.events = events;
        this.records = events.stream().map(e -> e.record).toList();
        this.parkBehind = parkBehind;
        this.letter = letter;
        this.action = action;
    }

    HandlerTask(PartitionWork work, List<PendingEvent> events) {
        this(Kind.HANDLE, work, events, List.of(), null, null);
    }

    static HandlerTask park(PartitionWork work, List<PendingEvent> events, List<@Nullable String> behind) {
        return new HandlerTask(Kind.PARK, work, events, behind, null, null);
    }

    static HandlerTask redrive(PartitionWork work, DeadLetter letter, DeadLetterAction.Kind action) {
        PendingEvent e = new PendingEvent(letter.original(), PartitionWork.keyOf(letter.original()), System.nanoTime());
        return new HandlerTask(Kind.REDRIVE, work, List.of(e), List.of(), letter, action);
    }

    /** Interrupts this task's handler (backoff sleeps and blocking calls end); later tasks on its worker are spared. */
    void interrupt() {
        interruptRequested = true;
        HandlerWorkers.Worker w = worker;
        if (w != null) {
            w.interrupt(this);
        }
    }

    boolean succeeded() {
        return failure == null && dlqFailure == null;
    }
}
