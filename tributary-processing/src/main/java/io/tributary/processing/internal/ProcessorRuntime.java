package io.tributary.processing.internal;

import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import io.tributary.processing.BufferFill;
import io.tributary.processing.DeadLetterHeaders;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.ProcessorFailure;
import io.tributary.processing.ProcessorState;
import io.tributary.processing.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link io.tributary.processing.Processor}: one platform thread runs the poll loop and owns the
 * {@link LogConsumer} and every {@link PartitionWork}; handler calls run on reused virtual threads
 * ({@link HandlerWorkers}) and hand their outcome
 * back through a completion queue (waking the poll loop), so all scheduling state has a single owner.
 *
 * <p>Each loop turn: poll (bounded by the earliest batch deadline), accept records within each partition's bound
 * (seeking back and pausing at the bound), read new dead-letter actions, apply completions, dispatch (events of parked
 * keys to the dead-letter topic, then dead-letter entry work, then ready keys to the handler), pause/resume, apply a
 * finished commit and start the next one on the interval (asynchronously, at most one in flight), publish buffer fill. Dead-lettered and parked events count as completed only once their dead-letter
 * record is acknowledged, so the commit rule (never past an unfinished event) covers them unchanged.
 */
public final class ProcessorRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRuntime.class);

    /** Calls the user's handler with one event or a batch. */
    @FunctionalInterface
    public interface Invoker {
        /**
         * Calls the handler; returns the events of {@code records} it did not complete and wants handed again, each
         * in a call of its own (only a {@link io.tributary.processing.PartialBatchHandler} names any): empty when it
         * completed them all. {@code attempt} counts the calls of these records, from 1.
         */
        List<LogRecord> invoke(List<LogRecord> records, int attempt) throws Exception;
    }

    private final ProcessorConfig config;
    private final Invoker invoker;
    private final Instrumentation instrumentation;
    private final int maxBatchEvents;
    private final long maxBatchWaitNanos;
    private final LogConsumer consumer;
    /** The dead-letter side, or null when the policy stops the processor instead. */
    private final @Nullable DeadLetterDesk desk;
    private final Map<TopicPartition, PartitionWork> works = new HashMap<>();
    private final LinkedBlockingQueue<HandlerTask> completions = new LinkedBlockingQueue<>();
    /**
     * Set by the first completion after the loop last drained the queue, which then wakes the consumer's poll; the
     * completions after it find it set and leave the wake-up to that one. Each consumer wake-up of a waiting embedded
     * poll costs an interrupt and an {@code InterruptedException}, and one that lands while the loop is busy makes its
     * next poll return at once, an extra turn: one wake-up per drain suffices, since the drain takes every completion
     * queued before it cleared the flag.
     */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Thread pollThread;
    private final HandlerWorkers workers;
    private volatile ProcessorState state = ProcessorState.RUNNING;
    private volatile boolean closeRequested;
    private volatile @Nullable ProcessorFailure failure;
    private volatile Map<TopicPartition, BufferFill> fills = Map.of();
    private volatile Map<TopicPartition, Long> committedOffsets = Map.of();
    private long lastCommitNanos = System.nanoTime();
    /** The interval commit in flight (at most one), or null; only the poll loop reads and replaces it. */
    private @Nullable CommitInFlight commitInFlight;
    /**
     * When the earliest partial batch left waiting by the last {@link #dispatchAll} becomes due (its oldest event
     * waited {@code maxBatchWait}), or {@code Long.MAX_VALUE}; bounds the next poll's wait. Nothing changes the ready
     * keys between dispatching and polling, so it need not be recomputed there.
     */
    private long nextBatchDueNanos = Long.MAX_VALUE;

    /** An asynchronous commit: its offsets, the partition work they belong to, and the outcome. */
    private record CommitInFlight(Map<TopicPartition, Long> offsets, Map<TopicPartition, PartitionWork> works,
                                  CompletableFuture<Void> result) {
    }

    /**
     * Creates the consumer and subscribes on the calling thread (so bad settings fail here), then starts the poll
     * loop. {@code batched} false means one event per call.
     */
    public ProcessorRuntime(EventLog log, ProcessorConfig config, Invoker invoker, boolean batched) {
        this.config = config;
        this.invoker = invoker;
        this.maxBatchEvents = batched ? config.maxBatchEvents() : 1;
        this.maxBatchWaitNanos = batched ? config.maxBatchWait().toNanos() : 0;
        this.desk = config.deadLetter().deadLetters() ? DeadLetterDesk.start(log, config) : null;
        this.instrumentation = desk == null ? Instrumentation.create(config)
                : Instrumentation.create(config, new DeadLetterGauges() {
                    @Override
                    public long depth() {
                        return deadLetterDepth();
                    }

                    @Override
                    public long parkedKeys() {
                        return ProcessorRuntime.this.parkedKeys();
                    }
                });
        try {
            this.consumer = log.consumer(config.effectiveConsumerConfig());
        } catch (RuntimeException e) {
            closeDesk();
            throw e;
        }
        try {
            consumer.subscribe(config.topics(), new Listener());
        } catch (RuntimeException e) {
            consumer.close();
            closeDesk();
            throw e;
        }
        this.workers = new HandlerWorkers("tributary-" + config.name() + "-handler", config.handlerThreads(),
                this::runHandler, this::publish);
        this.pollThread = Thread.ofPlatform().name("tributary-processor-" + config.name()).unstarted(this::run);
        pollThread.start();
    }

    public ProcessorState state() {
        return state;
    }

    public Optional<ProcessorFailure> failure() {
        return Optional.ofNullable(failure);
    }

    public Map<TopicPartition, BufferFill> bufferFill() {
        return fills;
    }

    public Map<TopicPartition, Long> committedOffsets() {
        return committedOffsets;
    }

    /** Open dead-letter entries (dead and parked) of the partitions this instance owns; 0 without a DLQ. */
    public int deadLetterDepth() {
        return desk == null ? 0 : desk.depth();
    }

    /** Keys of owned partitions whose new events are being parked; 0 unless the policy is sequenced. */
    public int parkedKeys() {
        return desk == null ? 0 : desk.parkedKeys();
    }

    /** Asks the loop to stop and waits for it (in-flight work gets the shutdown timeout). */
    public void close() {
        closeRequested = true;
        consumer.wakeup();
        awaitTermination(config.shutdownTimeout().plus(config.revokeTimeout()).plusSeconds(5));
    }

    /** Waits until the loop ended; true if it did within {@code timeout}. */
    public boolean awaitTermination(Duration timeout) {
        if (Thread.currentThread() == pollThread) {
            return false;
        }
        try {
            return pollThread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---- the poll loop ----

    private void run() {
        try {
            while (!closeRequested && failure == null) {
                List<LogRecord> records = consumer.poll(Duration.ofNanos(pollTimeoutNanos()));
                accept(records);
                if (desk != null) {
                    desk.checkActions(System.nanoTime());
                }
                drainCompletions();
                if (failure == null && !closeRequested) {
                    dispatchAll();
                }
                adjustPauses();
                applyCommitResult();
                if (commitInFlight == null
                        && System.nanoTime() - lastCommitNanos >= config.commitInterval().toNanos()) {
                    commitAsync();
                }
                publishFill();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Processor '{}' stopped: its consumer failed", config.name(), e);
            failure = new ProcessorFailure("Processor '" + config.name() + "' stopped because reading the log failed: "
                    + e + "; check that the topics " + config.topics() + " exist and the log is open, then start it "
                    + "again (completed work was committed)", e, Optional.empty(), OptionalLong.empty(), 0);
        }
        state = ProcessorState.STOPPING;
        try {
            long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
            finishInFlight(works.values(), deadline);
            awaitCommitInFlight(deadline);
            commit(works.values());
            for (PartitionWork w : works.values()) {
                w.interruptRunning();
            }
            publishFill();
        } catch (RuntimeException e) {
            LOG.warn("Processor '{}' could not commit its final progress", config.name(), e);
        } finally {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("Processor '{}' could not close its consumer cleanly", config.name(), e);
            }
            closeDesk();
            workers.close();
            instrumentation.close();
            state = failure == null ? ProcessorState.STOPPED : ProcessorState.FAILED;
        }
    }

    private void closeDesk() {
        if (desk != null) {
            try {
                desk.close();
            } catch (RuntimeException e) {
                LOG.warn("Processor '{}' could not close its dead-letter producer cleanly", config.name(), e);
            }
        }
    }

    private long pollTimeoutNanos() {
        if (!completions.isEmpty()) {
            return 0;
        }
        long timeout = config.pollTimeout().toNanos();
        if (nextBatchDueNanos != Long.MAX_VALUE) {
            timeout = Math.min(timeout, Math.max(0, nextBatchDueNanos - System.nanoTime()));
        }
        return timeout;
    }

    /** Takes records up to each partition's bound; at the bound, seeks back to the first refused one and pauses. */
    private void accept(List<LogRecord> records) {
        long now = System.nanoTime();
        Set<TopicPartition> overflowed = new HashSet<>();
        boolean filtered = config.eventFilter() != ProcessorConfig.EVERY_EVENT;
        // A poll returns runs of records of one partition: the partition's work is looked up once per run, not per
        // record (TopicPartition is a record whose hashCode/equals were 3% of a per-event poll loop).
        @Nullable String runTopic = null;
        int runPartition = -1;
        @Nullable TopicPartition tp = null;
        @Nullable PartitionWork w = null;
        for (LogRecord r : records) {
            if (r.partition() != runPartition || !r.topic().equals(runTopic)) {
                runTopic = r.topic();
                runPartition = r.partition();
                tp = r.topicPartition();
                w = overflowed.contains(tp) ? null : works.get(tp);
            }
            if (w == null) {
                continue;
            }
            if (!w.hasRoom()) {
                overflowed.add(tp);
                consumer.seek(tp, r.offset());
                w = null;
                continue;
            }
            boolean accepted;
            try {
                accepted = !filtered || EventFilterFailure.accepts(config.name(), config.eventFilter(), r);
            } catch (EventFilterFailure.Thrown thrown) {
                // Nothing after this event is taken: the loop sees the failure and stops, committing what completed.
                LOG.error(thrown.failure().message(), thrown.getCause());
                failure = thrown.failure();
                return;
            }
            if (!accepted) {
                w.skip(r, now);   // no task, no thread, no completion: done as it arrives
                continue;
            }
            w.add(r, now);
        }
    }

    private void drainCompletions() {
        // Cleared before the drain: a completion queued after this line either is taken below or sets the flag
        // again and wakes the next poll.
        wakePending.set(false);
        HandlerTask t;
        while ((t = completions.poll()) != null) {
            applyCompletion(t);
        }
    }

    private void applyCompletion(HandlerTask t) {
        if (works.get(t.work.partition) != t.work) {
            return; // the partition was revoked meanwhile; its new owner handles these events again
        }
        if (t.kind == HandlerTask.Kind.REDRIVE) {
            t.work.running.remove(t);
            if (desk != null) {
                desk.completed(t);
            }
            if (t.dlqFailure != null) {
                stopOnDeadLetterFailure(t);
            }
            return;
        }
        if (t.succeeded() || t.deadLettered) {
            if (desk != null && !t.written.isEmpty()) {
                desk.completed(t);
            }
            if (t.handAgain != null && t.succeeded()) {
                t.work.completeExcept(t, t.handAgain);
            } else {
                t.work.complete(t);
            }
            return;
        }
        t.work.fail(t);
        if (t.interruptRequested && t.dlqFailure == null) {
            // This runtime interrupted the call itself (its stop or a revoke gave up waiting for it, after committing
            // below it), so whatever it threw says nothing about the handler: the event stays uncommitted and the
            // next owner handles it again. Reporting it as a handler failure told users to fix a working handler.
            LOG.debug("Processor '{}': {} was interrupted by the processor's stop or a revoke; it will be handled "
                    + "again by the next owner", config.name(), describe(t));
            return;
        }
        if (failure == null && t.dlqFailure != null) {
            stopOnDeadLetterFailure(t);
        } else if (failure == null && t.failure != null) {
            LogRecord first = t.records.getFirst();
            failure = new ProcessorFailure("Processor '" + config.name() + "' stopped: its handler failed on "
                    + describe(t) + " after " + t.attempts + " attempt(s) with " + t.failure + ". The event was not "
                    + "committed, so nothing after it was skipped; fix the handler (or the data) and start the "
                    + "processor again to handle it, raise RetryPolicy.maxAttempts / adjust its nonRetryable "
                    + "classifier, or use a dead-letter policy (DeadLetterPolicy.sequenced()) so the partition "
                    + "continues.", t.failure, Optional.of(t.work.partition), OptionalLong.of(first.offset()),
                    t.attempts);
            LOG.error(failure.message(), t.failure);
        }
    }

    private static String describe(HandlerTask t) {
        LogRecord first = t.records.getFirst();
        return t.records.size() == 1 ? "event " + t.work.partition + "@" + first.offset()
                : "batch of " + t.records.size() + " events from " + t.work.partition + "@" + first.offset();
    }

    /** Writing to the dead-letter topic failed: nothing may be committed past the event, so the processor stops. */
    private void stopOnDeadLetterFailure(HandlerTask t) {
        if (failure != null) {
            return;
        }
        Throwable cause = java.util.Objects.requireNonNull(t.dlqFailure);
        failure = new ProcessorFailure("Processor '" + config.name() + "' stopped: it could not write "
                + describe(t) + " to its dead-letter topic '" + config.deadLetterTopic() + "': " + cause
                + ". Nothing was committed past it; check that the topic exists and accepts writes (it is created "
                + "on start), then start the processor again.", cause, Optional.of(t.work.partition),
                OptionalLong.of(t.records.getFirst().offset()), t.attempts);
        LOG.error(failure.message(), cause);
    }

    /**
     * Starts handler calls on every partition while it has ready events and room to run them. A full batch goes at
     * once; only when the ready events do not fill one does the oldest ready arrival (a scan over the ready keys)
     * decide whether the batch wait has passed, and if not, when it will ({@link #nextBatchDueNanos}). Without a
     * batch wait (per-event mode) every ready event is due at once and nothing is scanned.
     */
    private void dispatchAll() {
        long now = System.nanoTime();
        long nextDue = Long.MAX_VALUE;
        for (PartitionWork w : works.values()) {
            if (desk != null && w.dispatching) {
                dispatchDeadLetterWork(w);
            }
            Predicate<Object> parked = parkedKeys(w);
            while (w.dispatching && w.runningTasks() < config.concurrencyPerPartition()) {
                List<PendingEvent> batch = w.takeBatch(maxBatchEvents, config.maxBatchBytes(),
                        maxBatchWaitNanos == 0, parked);
                if (batch.isEmpty() && maxBatchWaitNanos > 0 && w.readyKeys() > 0) {
                    OptionalLong oldest = w.oldestReadyArrival();
                    if (oldest.isPresent()) {
                        long due = oldest.getAsLong() + maxBatchWaitNanos;
                        if (now - due >= 0) {
                            batch = w.takeBatch(maxBatchEvents, config.maxBatchBytes(), true, parked);
                        } else {
                            nextDue = Math.min(nextDue, due);
                        }
                    }
                }
                if (batch.isEmpty()) {
                    break;
                }
                start(new HandlerTask(w, batch));
            }
        }
        nextBatchDueNanos = nextDue;
    }

    private static final Predicate<Object> NOTHING_PARKED = k -> false;

    /**
     * Which keys of the partition are parked, resolved once per dispatch round: the desk's per-key test cost about a
     * fifth of the per-event poll loop when it was asked per ready key (a {@code TopicPartition} lookup each).
     */
    private Predicate<Object> parkedKeys(PartitionWork w) {
        @Nullable Predicate<Object> p = desk == null ? null : desk.parkedKeys(w.partition);
        return p == null ? NOTHING_PARKED : p;
    }

    /** Parks new events of parked keys, then starts entry work (operator actions, released followers). */
    private void dispatchDeadLetterWork(PartitionWork w) {
        DeadLetterDesk d = java.util.Objects.requireNonNull(desk);
        int limit = config.concurrencyPerPartition();
        Predicate<Object> parkedKeys = d.parkedKeys(w.partition);
        List<List<PendingEvent>> parkedRuns = parkedKeys == null || w.runningTasks() >= limit ? List.of()
                : w.takeParked(parkedKeys, limit - w.runningTasks());
        for (List<PendingEvent> parked : parkedRuns) {
            List<@Nullable String> behind = new ArrayList<>();
            for (PendingEvent e : parked) {
                behind.add(d.parkBehind(w.partition, e));
            }
            start(HandlerTask.park(w, parked, behind));
        }
        if (w.runningTasks() < limit) {
            for (HandlerTask t : d.nextEntryTasks(w, limit - w.runningTasks())) {
                start(t);
            }
        }
    }

    private void start(HandlerTask task) {
        task.work.running.add(task);
        workers.start(task);
    }

    /**
     * Hands a finished task to the poll loop, which reads its outcome from the completion queue, and wakes the loop's
     * poll unless an earlier completion since the last drain already did ({@link #wakePending}).
     */
    private void publish(HandlerTask task) {
        completions.add(task);
        if (!wakePending.getAndSet(true)) {
            consumer.wakeup();
        }
    }


    /** Runs on a worker thread; {@link #publish} follows. */
    private void runHandler(HandlerTask task) {
        try {
            switch (task.kind) {
                case HANDLE -> {
                    attempt(task);
                    if (desk != null && task.failure != null && !interrupted(task)) {
                        desk.writeDead(task);
                    }
                }
                case PARK -> java.util.Objects.requireNonNull(desk).writeParked(task);
                case REDRIVE -> runEntryAction(task);
            }
        } catch (InterruptedException e) {
            // Interrupted while backing off: the task ends unfinished (failure kept), so it is not committed.
        } catch (RuntimeException e) {
            // Only dead-letter writes throw here (handler failures are caught in attempt()).
            task.dlqFailure = e;
        }
    }

    /** Carries out an operator action (or a parked follower's release) on one dead-letter entry. */
    private void runEntryAction(HandlerTask task) throws InterruptedException {
        DeadLetterDesk d = java.util.Objects.requireNonNull(desk);
        switch (java.util.Objects.requireNonNull(task.action)) {
            case REDRIVE -> {
                attempt(task);
                if (task.failure == null) {
                    d.writeClosed(task, DeadLetterHeaders.REDRIVEN);
                } else if (!interrupted(task)) {
                    d.writeDeadAgain(task);
                }
            }
            case SKIP -> d.writeClosed(task, DeadLetterHeaders.SKIPPED);
            case PURGE -> d.writeClosed(task, DeadLetterHeaders.PURGED);
        }
    }

    private static boolean interrupted(HandlerTask task) {
        return task.failure instanceof InterruptedException || Thread.currentThread().isInterrupted();
    }

    /** Calls the handler with backoff until success, a final failure (kept in {@code task.failure}) or an interrupt. */
    private void attempt(HandlerTask task) throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            // Interrupted before its first call (revoked or closed while it waited for a thread, as queued tasks do
            // with HandlerThreads.platform): the handler is not called at all. Called on an interrupted thread it
            // would fail at its first blocking call, and an interruptible file channel it touches (an embedded
            // database's file) is closed by the interrupt, breaking that database for every later call.
            task.failure = new InterruptedException("Processor '" + config.name() + "': interrupted before the "
                    + "handler was called; the event is left for the next owner");
            return;
        }
        RetryPolicy retry = config.retry();
        while (true) {
            task.attempts++;
            try {
                // The names are checked inside the observed call: a wrong name fails the attempt, and the processed
                // counter leaves out the events that go again (they are counted when their own call completes them).
                instrumentation.invoke((records, attempt) -> handedAgain(task, invoker.invoke(records, attempt)),
                        task.records, task.attempts);
                task.failure = null;
                return;
            } catch (Throwable e) {
                task.failure = e;
                task.lastFailureMillis = System.currentTimeMillis();
                if (task.firstFailureMillis == 0) {
                    task.firstFailureMillis = task.lastFailureMillis;
                }
                if (e instanceof InterruptedException || Thread.currentThread().isInterrupted()
                        || !retry.shouldRetry(e, task.attempts)) {
                    return;
                }
                LOG.debug("Processor '{}': attempt {} on {}@{} failed, retrying", config.name(), task.attempts,
                        task.work.partition, task.records.getFirst().offset(), e);
                instrumentation.retrying(task.records);
            }
            Thread.sleep(retry.delayAfter(task.attempts));
        }
    }

    /**
     * The offsets of the events a partial batch handler left to be handed again, checked: each must be in the task's
     * batch, and a call of one event cannot leave its event (it would be handed again alone forever: such a handler
     * must throw instead, so the event is retried and, at the last attempt, dead-lettered). A violation fails the
     * attempt like a throw.
     */
    private Set<Long> handAgainOffsets(HandlerTask task, List<LogRecord> again) {
        Set<Long> inBatch = new HashSet<>();
        for (LogRecord r : task.records) {
            inBatch.add(r.offset());
        }
        Set<Long> offsets = new HashSet<>();
        for (LogRecord r : again) {
            if (r.partition() != task.work.partition.partition() || !r.topic().equals(task.work.partition.topic())
                    || !inBatch.contains(r.offset())) {
                throw new IllegalStateException("Processor '" + config.name() + "': the handler left "
                        + r.topic() + "/" + r.partition() + "@" + r.offset() + " to be handed again, but it is not in "
                        + "its call (" + describe(task) + "); name only events of the batch it was given");
            }
            offsets.add(r.offset());
        }
        // After the in-batch check: a one-event call naming a record of another call has that mistake to fix first.
        if (task.records.size() == 1) {
            throw new IllegalStateException("Processor '" + config.name() + "': the handler left the only event of "
                    + "its call (" + describe(task) + ") to be handed again alone; a call of one event must complete "
                    + "it or throw, so that it is retried and dead-lettered like any failed event");
        }
        return offsets;
    }

    /**
     * Checks the events a call named ({@link #handAgainOffsets}), keeps their offsets in {@code task.handAgain} and
     * returns every event of the call that goes again: the named ones and, per key, the later events of the call
     * ({@link PartitionWork#completeExcept} sends those back too). Empty when the call completed them all.
     */
    private List<LogRecord> handedAgain(HandlerTask task, List<LogRecord> named) {
        if (named.isEmpty()) {
            task.handAgain = null;
            return named;
        }
        Set<Long> offsets = handAgainOffsets(task, named);
        task.handAgain = offsets;
        Set<Object> keysBack = new HashSet<>();
        List<LogRecord> back = new ArrayList<>();
        for (LogRecord r : task.records) {
            Object key = PartitionWork.keyOf(r);
            if (keysBack.contains(key) || offsets.contains(r.offset())) {
                keysBack.add(key);
                back.add(r);
            }
        }
        return back;
    }

    private void adjustPauses() {
        List<TopicPartition> pause = new ArrayList<>();
        List<TopicPartition> resume = new ArrayList<>();
        int capacity = config.maxBufferedPerPartition();
        for (PartitionWork w : works.values()) {
            if (!w.paused && !w.hasRoom()) {
                w.paused = true;
                pause.add(w.partition);
            } else if (w.paused && w.held() <= capacity / 2) {
                w.paused = false;
                resume.add(w.partition);
            }
        }
        if (!pause.isEmpty()) {
            consumer.pause(pause);
        }
        if (!resume.isEmpty()) {
            consumer.resume(resume);
        }
    }

    /** Waits (applying completions) until these partitions have nothing in flight or the deadline passes. */
    private void finishInFlight(Collection<PartitionWork> which, long deadlineNanos) {
        for (PartitionWork w : which) {
            w.dispatching = false;
        }
        while (which.stream().anyMatch(w -> w.runningTasks() > 0)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                LOG.warn("Processor '{}': in-flight work did not finish in time; it will be handled again by the "
                        + "next owner", config.name());
                return;
            }
            try {
                // This wait takes completions itself; cleared so that one arriving after it still wakes the poll
                // that follows a revoke.
                wakePending.set(false);
                HandlerTask t = completions.poll(left, TimeUnit.NANOSECONDS);
                if (t != null) {
                    applyCompletion(t);
                }
            } catch (InterruptedException e) {
                // Nothing outside this class interrupts the poll thread; an interrupt here is a consumer wake-up that
                // landed while we wait inside a rebalance callback. Giving up would commit below work that already
                // completed (repeating it on the next owner), and keeping the flag set would break the consumer's
                // next I/O, so it is cleared and the wait goes on until the deadline.
                Thread.interrupted();
            }
        }
    }

    /**
     * The interval commit: starts committing each partition's position below its lowest unfinished event (if it
     * advanced) and returns without waiting for the offset store's sync, so dispatch goes on meanwhile. The loop
     * applies the outcome when it sees it ({@link #applyCommitResult}) and starts the next commit only then, with
     * the positions of that moment: one commit in flight, the latest positions win.
     */
    private void commitAsync() {
        lastCommitNanos = System.nanoTime();
        Map<TopicPartition, Long> offsets = new HashMap<>();
        Map<TopicPartition, PartitionWork> owners = new HashMap<>();
        for (PartitionWork w : works.values()) {
            w.uncommittedPosition().ifPresent(p -> {
                offsets.put(w.partition, p);
                owners.put(w.partition, w);
            });
        }
        if (offsets.isEmpty() || !beforeOffsetCommit(offsets)) {
            return;
        }
        CompletableFuture<Void> result;
        try {
            result = consumer.commitAsync(offsets);
        } catch (RuntimeException e) {
            LOG.warn("Processor '{}' could not commit {}; it will retry on the next interval", config.name(),
                    offsets, e);
            return;
        }
        CommitInFlight c = new CommitInFlight(offsets, owners, result);
        commitInFlight = c;
        if (!result.isDone()) {
            // Wakes the loop from its poll, so the committed offsets are published without waiting for a record.
            result.whenComplete((ok, e) -> consumer.wakeup());
        } else {
            applyCommitResult();
        }
    }

    /** Applies the in-flight commit's outcome once it is known; no-op while it is still running. */
    private void applyCommitResult() {
        CommitInFlight c = commitInFlight;
        if (c == null || !c.result().isDone()) {
            return;
        }
        commitInFlight = null;
        try {
            c.result().join();
        } catch (RuntimeException e) {
            LOG.warn("Processor '{}' could not commit {}; it will retry on the next interval", config.name(),
                    c.offsets(), e.getCause() != null ? e.getCause() : e);
            return;
        }
        recordCommitted(c.offsets(), c.works());
    }

    /**
     * Waits (up to the deadline) for the in-flight interval commit, so a final synchronous commit is not overtaken
     * by it on a backend whose asynchronous commits may complete out of order.
     */
    private void awaitCommitInFlight(long deadlineNanos) {
        CommitInFlight c = commitInFlight;
        if (c == null) {
            return;
        }
        try {
            c.result().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            // As in finishInFlight: a consumer wake-up, not a request to stop; the final commit still follows.
            Thread.interrupted();
        } catch (ExecutionException | TimeoutException e) {
            // Reported by applyCommitResult, or (still running) left to complete on its own.
        }
        applyCommitResult();
    }

    /**
     * Commits each partition's position below its lowest unfinished event, if it advanced, and waits until it is
     * durable: the final commit on revoke and close.
     */
    private void commit(Collection<PartitionWork> which) {
        lastCommitNanos = System.nanoTime();
        Map<TopicPartition, Long> offsets = new HashMap<>();
        Map<TopicPartition, PartitionWork> owners = new HashMap<>();
        for (PartitionWork w : which) {
            w.uncommittedPosition().ifPresent(p -> {
                offsets.put(w.partition, p);
                owners.put(w.partition, w);
            });
        }
        if (offsets.isEmpty() || !beforeOffsetCommit(offsets)) {
            return;
        }
        try {
            consumer.commitSync(offsets);
        } catch (RuntimeException e) {
            LOG.warn("Processor '{}' could not commit {}; it will retry on the next interval", config.name(),
                    offsets, e);
            return;
        }
        recordCommitted(offsets, owners);
    }

    /**
     * Runs the config's {@link io.tributary.processing.BeforeOffsetCommit} hook for offsets just taken; false if it
     * threw, and then they must not be sent. Every event below them completed on this thread before they were taken,
     * so what the hook makes durable covers them.
     */
    private boolean beforeOffsetCommit(Map<TopicPartition, Long> offsets) {
        try {
            config.beforeOffsetCommit().run(Collections.unmodifiableMap(offsets));
            return true;
        } catch (Throwable e) {
            // An Error from the hook (an AssertionError, a LinkageError in its driver) is a failed hook like any
            // exception: it escaped before, stopping the processor with a message about reading the log. Only the
            // JVM's own failures (out of memory, stack overflow) are not the hook's to report.
            if (e instanceof VirtualMachineError vm) {
                throw vm;
            }
            if (e instanceof InterruptedException) {
                // As in finishInFlight: a consumer wake-up, not a request to stop; the flag would break the next I/O.
                Thread.interrupted();
            }
            LOG.warn("Processor '{}' did not commit {}: its beforeOffsetCommit hook ({}) failed, so the events below "
                    + "them may not be durable yet; they stay uncommitted: the next commit runs the hook again (after "
                    + "a revoke or close, the partitions' next owner repeats them). Fix what the hook reports (e.g. "
                    + "the database it flushes is unreachable or full)",
                    config.name(), offsets, config.beforeOffsetCommit(), e);
            return false;
        }
    }

    /** Records durable commits: in each partition's work (if this instance still owns it) and the published map. */
    private void recordCommitted(Map<TopicPartition, Long> offsets, Map<TopicPartition, PartitionWork> owners) {
        Map<TopicPartition, Long> all = new TreeMap<>(committedOffsets);
        for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
            PartitionWork w = owners.get(e.getKey());
            w.committed(e.getValue());
            if (works.get(e.getKey()) == w) {
                all.put(e.getKey(), w.lastCommitted());
            }
        }
        committedOffsets = Map.copyOf(all);
    }

    private void publishFill() {
        Map<TopicPartition, BufferFill> m = new TreeMap<>();
        for (PartitionWork w : works.values()) {
            m.put(w.partition, new BufferFill(w.partition, w.held(), w.inFlightEvents(),
                    config.maxBufferedPerPartition(), w.paused));
        }
        fills = Map.copyOf(m);
        instrumentation.sample(consumer, works.values(), committedOffsets);
    }

    /** Runs on the poll thread inside {@code poll} (and {@code close}). */
    private final class Listener implements RebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            List<PartitionWork> revoked = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                PartitionWork w = works.get(tp);
                if (w != null) {
                    revoked.add(w);
                }
            }
            long deadline = System.nanoTime() + config.revokeTimeout().toNanos();
            finishInFlight(revoked, deadline);
            awaitCommitInFlight(deadline);
            commit(revoked);
            for (PartitionWork w : revoked) {
                w.interruptRunning();
                works.remove(w.partition);
            }
            if (desk != null) {
                desk.revoked(partitions);
            }
            publishFill();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            List<TopicPartition> unpause = new ArrayList<>();
            Set<TopicPartition> paused = consumer.paused();
            for (TopicPartition tp : partitions) {
                works.put(tp, new PartitionWork(tp, config.maxBufferedPerPartition()));
                if (paused.contains(tp)) {
                    unpause.add(tp);
                }
            }
            if (!unpause.isEmpty()) {
                consumer.resume(unpause);
            }
            if (desk != null) {
                desk.assigned(partitions);
            }
            publishFill();
        }
    }
}
