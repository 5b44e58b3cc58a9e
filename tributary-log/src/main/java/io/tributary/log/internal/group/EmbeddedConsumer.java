package io.tributary.log.internal.group;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.PartitionReads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The embedded engine's {@link LogConsumer}: reads straight from the storage side's {@link PartitionReads}, with
 * group membership through the {@link GroupCoordinator} and commits in the {@link OffsetStore}.
 *
 * <p><b>Thread-safety:</b> not thread-safe, like Kafka's consumer: use it from one thread. {@link #wakeup()} may be
 * called from any thread; the coordinator and {@link EmbeddedGroups#close()} also reach in only through thread-safe
 * paths ({@link #interruptIfWaiting()}, {@link #closeFromOutside()}).
 * <p><b>Ordering:</b> per partition, records come in offset order, each once per position (a seek can repeat
 * them). Across partitions, each poll starts at the partition after the one the previous poll started at, so a busy
 * partition cannot starve the others.
 * <p><b>Waiting:</b> an empty poll blocks in {@link PartitionReads#awaitChange} and is woken the moment anything is
 * appended; wakeup, close and rebalances wake it by interrupting that wait, an interrupt only ever delivered while the
 * thread is inside it and cleared before {@code poll} returns. If the caller's own thread is interrupted, {@code poll}
 * returns what it has (possibly nothing) and leaves the interrupt flag set.
 * <p><b>Positions</b> start at the group's committed offset, or by {@link ConsumerConfig#autoOffsetReset()} when
 * there is none or it lies outside the stored range (e.g. retention removed it); they are resolved lazily, after
 * {@code onPartitionsAssigned}, so a seek there wins.
 * <p><b>Durability:</b> {@code commitSync} returns once the offsets are fsynced ({@link OffsetStore});
 * {@code commitAsync} writes them in the call and completes its future once they are fsynced (concurrent commits
 * share one fsync).
 */
final class EmbeddedConsumer implements LogConsumer {

    private static final long UNKNOWN = -1;
    private static final int RUNNING = 0;
    private static final int WAITING = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private enum Mode { NONE, ASSIGNED, SUBSCRIBED }

    private static final class PartitionState {
        long position = UNKNOWN;
        boolean paused;
    }

    private final PartitionReads reads;
    private final OffsetStore store;
    private final GroupCoordinator coordinator;
    private final ConsumerConfig config;
    private final Runnable onClose;

    private final Map<TopicPartition, PartitionState> owned = new HashMap<>();
    /** Owned partitions in a stable order, for the round-robin start of each fetch. */
    private final List<TopicPartition> order = new ArrayList<>();
    private int nextStart;
    private Mode mode = Mode.NONE;
    private volatile @Nullable Membership membership;
    private Set<String> subscription = Set.of();
    private RebalanceListener listener = RebalanceListener.NONE;
    private long reconciledStamp = -1;

    private volatile boolean closed;
    private volatile boolean wakeupRequested;
    private final AtomicInteger waitState = new AtomicInteger(RUNNING);
    private volatile @Nullable Thread waiter;

    EmbeddedConsumer(PartitionReads reads, OffsetStore store, GroupCoordinator coordinator, ConsumerConfig config,
                     Runnable onClose) {
        this.reads = reads;
        this.store = store;
        this.coordinator = coordinator;
        this.config = config;
        this.onClose = onClose;
    }

    // ---- assignment ----

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        ensureOpen();
        if (mode == Mode.SUBSCRIBED) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Consumer '" + config.clientId()
                    + "' is subscribed to " + new TreeSet<>(subscription) + " as a member of group '" + group()
                    + "'; call unsubscribe() before assign(), or use another consumer");
        }
        Set<TopicPartition> wanted = new LinkedHashSet<>(partitions);
        for (TopicPartition tp : wanted) {
            int count = reads.partitionCount(tp.topic());
            if (tp.partition() >= count) {
                throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Cannot assign " + tp + ": topic '"
                        + tp.topic() + "' has " + count + " partition(s), numbered 0 to " + (count - 1));
            }
        }
        owned.keySet().retainAll(wanted);
        for (TopicPartition tp : wanted) {
            owned.computeIfAbsent(tp, k -> new PartitionState());
        }
        rebuildOrder();
        mode = wanted.isEmpty() ? Mode.NONE : Mode.ASSIGNED;
    }

    @Override
    public void subscribe(Collection<String> topics, RebalanceListener listener) {
        ensureOpen();
        String group = config.groupId().orElseThrow(() -> new InvalidRequestException(LogErrors.GROUP_ID_REQUIRED,
                "Consumer '" + config.clientId() + "' has no group id, so it cannot subscribe to " + topics
                        + "; set one with ConsumerConfig.forGroup(\"my-group\") or use assign(partitions)"));
        if (mode == Mode.ASSIGNED) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Consumer '" + config.clientId()
                    + "' has manually assigned partitions " + new TreeSet<>(owned.keySet()) + "; call unsubscribe() "
                    + "before subscribe(), or use another consumer");
        }
        for (String t : topics) {
            if (t == null || t.isBlank()) {
                throw new InvalidRequestException(LogErrors.INVALID_TOPIC_NAME, "Cannot subscribe to a blank topic "
                        + "name (in " + topics + "); name existing topics, e.g. subscribe(List.of(\"orders\"), ...)");
            }
        }
        if (topics.isEmpty()) {
            unsubscribe();
            return;
        }
        this.listener = listener;
        this.subscription = Set.copyOf(topics);
        Membership m = membership;
        if (mode == Mode.SUBSCRIBED && m != null && m.active) {
            coordinator.changeSubscription(m, subscription);
        } else {
            membership = coordinator.join(group, config, subscription, this);
            reconciledStamp = -1;
            mode = Mode.SUBSCRIBED;
        }
    }

    @Override
    public void unsubscribe() {
        ensureOpen();
        leaveOrDrop(true);
    }

    private void leaveOrDrop(boolean callListener) {
        Membership m = membership;
        if (mode == Mode.SUBSCRIBED && m != null) {
            Set<TopicPartition> revoked = new TreeSet<>(owned.keySet());
            try {
                if (callListener && !revoked.isEmpty() && m.active) {
                    listener.onPartitionsRevoked(revoked);
                }
            } finally {
                coordinator.leave(m, "left the group (unsubscribe or close)");
                membership = null;
            }
        }
        owned.clear();
        order.clear();
        mode = Mode.NONE;
        subscription = Set.of();
    }

    @Override
    public Set<TopicPartition> assignment() {
        ensureOpen();
        return Set.copyOf(owned.keySet());
    }

    // ---- poll ----

    @Override
    public List<LogRecord> poll(Duration timeout) {
        ensureOpen();
        if (mode == Mode.NONE) {
            throw new InvalidRequestException(LogErrors.NOT_ASSIGNED, "Consumer '" + config.clientId()
                    + "' has nothing to poll; call subscribe(topics, listener) or assign(partitions) first");
        }
        long now = System.nanoTime();
        long waitNanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
        long deadline = now + waitNanos < now ? Long.MAX_VALUE : now + waitNanos;
        Membership started = membership;
        if (started != null) {
            started.pollStarted();
        }
        try {
            while (true) {
                if (mode == Mode.SUBSCRIBED) {
                    reconcile();
                }
                long seen = reads.changeCount();
                List<LogRecord> out = fetch();
                if (wakeupRequested) {
                    wakeupRequested = false;
                    return out;
                }
                if (!out.isEmpty()) {
                    return out;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || !await(seen, remaining)) {
                    return out;
                }
                ensureOpen();
            }
        } finally {
            Membership m = membership;
            if (m != null) {
                m.pollEnded();
            }
            if (started != null && started != m) {
                started.pollEnded();
            }
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Waits for an append, a rebalance, a wakeup or close. Returns false if the caller's thread was interrupted by
     * someone else (the flag is restored).
     */
    private boolean await(long seen, long nanos) {
        waiter = Thread.currentThread();
        waitState.set(WAITING);
        boolean interrupted = false;
        try {
            if (!wakeupRequested && !closed && !reconcileDue()) {
                reads.awaitChange(seen, nanos);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (!waitState.compareAndSet(WAITING, RUNNING)) {
                // Someone is interrupting us on purpose: let them finish, then clear the flag they set. Yield rather
                // than spin: the interrupter may be descheduled right after its unpark woke us, and on a busy machine
                // a spin would burn this thread's whole time slice while it waits for that thread to run again.
                while (waitState.get() != INTERRUPTED) {
                    Thread.yield();
                }
                Thread.interrupted();
                waitState.set(RUNNING);
                interrupted = false;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
    }

    /** Wakes the consumer's thread if, and only if, it is blocked in {@code poll}'s wait. Thread-safe. */
    void interruptIfWaiting() {
        if (waitState.compareAndSet(WAITING, INTERRUPTING)) {
            Thread t = waiter;
            if (t != null) {
                t.interrupt();
            }
            waitState.set(INTERRUPTED);
        }
    }

    private boolean reconcileDue() {
        Membership m = membership;
        return m != null && (m.stamp != reconciledStamp || !m.active);
    }

    /** Brings owned partitions in line with the group's target: revoke, release, acquire, assign. */
    private void reconcile() {
        Membership m = membership;
        if (m == null || !reconcileDue()) {
            return;
        }
        GroupCoordinator.MemberView v = coordinator.view(m);
        if (!v.active()) {
            // Removed for liveness: the partitions are already someone else's. Tell the listener, then rejoin.
            Set<TopicPartition> lost = new TreeSet<>(owned.keySet());
            owned.clear();
            order.clear();
            membership = null;
            if (!lost.isEmpty()) {
                listener.onPartitionsRevoked(lost);
            }
            m = coordinator.join(group(), config, subscription, this);
            m.pollStarted();
            membership = m;
            v = coordinator.view(m);
        }
        Set<TopicPartition> lost = new TreeSet<>();
        for (TopicPartition tp : owned.keySet()) {
            if (!v.owned().contains(tp)) {
                lost.add(tp);
            }
        }
        owned.keySet().removeAll(lost);
        Set<TopicPartition> revoke = new TreeSet<>();
        for (TopicPartition tp : owned.keySet()) {
            if (!v.target().contains(tp)) {
                revoke.add(tp);
            }
        }
        if (!revoke.isEmpty() || !lost.isEmpty()) {
            Set<TopicPartition> told = new TreeSet<>(revoke);
            told.addAll(lost);
            try {
                listener.onPartitionsRevoked(told);
            } finally {
                owned.keySet().removeAll(revoke);
                rebuildOrder();
                coordinator.release(m, revoke);
            }
        }
        Set<TopicPartition> want = new TreeSet<>(v.target());
        want.removeAll(owned.keySet());
        reconciledStamp = v.stamp();
        if (!want.isEmpty()) {
            Set<TopicPartition> got = coordinator.acquire(m, want);
            if (!got.isEmpty()) {
                for (TopicPartition tp : got) {
                    owned.put(tp, new PartitionState());
                }
                rebuildOrder();
                listener.onPartitionsAssigned(got);
            }
        }
    }

    private List<LogRecord> fetch() {
        int n = order.size();
        if (n == 0) {
            return List.of();
        }
        List<LogRecord> out = new ArrayList<>();
        int maxRecords = config.maxPollRecords();
        // The storage counts each record's bytes as it decodes it and takes them off the budget, so the records are not
        // measured a second time here (walking every header's name: about 1% of the demo's CPU).
        long[] bytesLeft = {config.maxPollBytes()};
        int start = Math.floorMod(nextStart, n);
        nextStart = start + 1;
        for (int i = 0; i < n && out.size() < maxRecords && bytesLeft[0] > 0; i++) {
            TopicPartition tp = order.get((start + i) % n);
            PartitionState st = owned.get(tp);
            if (st.paused) {
                continue;
            }
            if (st.position == UNKNOWN) {
                st.position = initialPosition(tp);
            }
            long before = bytesLeft[0];
            List<LogRecord> got = readFrom(tp, st, maxRecords - out.size(), bytesLeft);
            if (got.isEmpty()) {
                continue;
            }
            if (bytesLeft[0] < 0 && !out.isEmpty()) {
                // A read always returns its first record, even past the budget; only the poll's first may pass it.
                // The records after that first one were measured against a budget it had already passed: none fit.
                bytesLeft[0] = before;
                continue;
            }
            out.addAll(got);
            st.position = got.getLast().offset() + 1;
        }
        Membership m = membership;
        if (m != null && !m.active) {
            // Removed while reading: the partitions may already be another member's. Return nothing; the next
            // poll reconciles (and forgets these positions).
            return List.of();
        }
        return out;
    }

    private List<LogRecord> readFrom(TopicPartition tp, PartitionState st, int maxRecords, long[] bytesLeft) {
        try {
            return reads.read(tp, st.position, maxRecords, bytesLeft);
        } catch (TributaryException e) {
            if (!e.code().equals(LogErrors.OFFSET_OUT_OF_RANGE)) {
                throw e;
            }
        }
        long startOffset = reads.startOffset(tp);
        long end = reads.endOffset(tp);
        st.position = switch (config.autoOffsetReset()) {
            case EARLIEST -> startOffset;
            case LATEST -> end;
            case NONE -> throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Position " + st.position
                    + " of " + tp + " is outside the stored range [" + startOffset + ", " + end + "] (retention "
                    + "removed those records) and autoOffsetReset=NONE; seek to a valid offset, seekToBeginning, "
                    + "or set autoOffsetReset to EARLIEST or LATEST");
        };
        return reads.read(tp, st.position, maxRecords, bytesLeft);
    }

    private long initialPosition(TopicPartition tp) {
        long start = reads.startOffset(tp);
        long end = reads.endOffset(tp);
        OptionalLong committed = config.groupId().isPresent() ? store.committed(config.groupId().get(), tp)
                : OptionalLong.empty();
        if (committed.isPresent() && committed.getAsLong() >= start && committed.getAsLong() <= end) {
            return committed.getAsLong();
        }
        return switch (config.autoOffsetReset()) {
            case EARLIEST -> start;
            case LATEST -> end;
            case NONE -> throw new NotFoundException(LogErrors.NO_COMMITTED_OFFSET, committed.isPresent()
                    ? "The committed offset " + committed.getAsLong() + " of group '" + group() + "' for " + tp
                    + " is outside the stored range [" + start + ", " + end + "] (retention removed those records) "
                    + "and autoOffsetReset=NONE; seek(" + tp + ", offset) to a valid offset, reset the group's "
                    + "offsets, or set autoOffsetReset to EARLIEST or LATEST"
                    : (config.groupId().isPresent() ? "Group '" + group() + "' has no committed offset for " + tp
                    : "Consumer '" + config.clientId() + "' has no group, so no committed offset for " + tp)
                    + ", and autoOffsetReset=NONE; seek(" + tp + ", offset) first, commit an offset for the group, "
                    + "or set autoOffsetReset to EARLIEST or LATEST");
        };
    }

    // ---- positions ----

    @Override
    public void seek(TopicPartition partition, long offset) {
        PartitionState st = state(partition, "seek");
        long start = reads.startOffset(partition);
        long end = reads.endOffset(partition);
        if (offset < start || offset > end) {
            throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Cannot seek " + partition + " to offset "
                    + offset + ": the partition holds offsets [" + start + ", " + end + "] (end = next offset to be "
                    + "written); seek within that range, or use seekToBeginning / seekToEnd");
        }
        st.position = offset;
    }

    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            state(tp, "seekToBeginning").position = reads.startOffset(tp);
        }
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            state(tp, "seekToEnd").position = reads.endOffset(tp);
        }
    }

    @Override
    public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
        for (TopicPartition tp : partitions) {
            PartitionState st = state(tp, "seekToTimestamp");
            OptionalLong at = reads.offsetForTimestamp(tp, timestamp);
            st.position = at.isPresent() ? at.getAsLong() : reads.endOffset(tp);
        }
    }

    @Override
    public long position(TopicPartition partition) {
        PartitionState st = state(partition, "position");
        if (st.position == UNKNOWN) {
            st.position = initialPosition(partition);
        }
        return st.position;
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            state(tp, "pause");
        }
        for (TopicPartition tp : partitions) {
            owned.get(tp).paused = true;
        }
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            state(tp, "resume");
        }
        for (TopicPartition tp : partitions) {
            owned.get(tp).paused = false;
        }
    }

    @Override
    public Set<TopicPartition> paused() {
        ensureOpen();
        Set<TopicPartition> out = new TreeSet<>();
        owned.forEach((tp, st) -> {
            if (st.paused) {
                out.add(tp);
            }
        });
        return Set.copyOf(out);
    }

    private PartitionState state(TopicPartition tp, String operation) {
        ensureOpen();
        PartitionState st = owned.get(tp);
        if (st == null) {
            throw new InvalidRequestException(LogErrors.NOT_ASSIGNED, "Cannot " + operation + " " + tp + ": consumer '"
                    + config.clientId() + "' is not assigned it (assignment: " + new TreeSet<>(owned.keySet())
                    + "); in a group, partitions arrive in poll (see RebalanceListener.onPartitionsAssigned)");
        }
        return st;
    }

    // ---- commits ----

    @Override
    public void commitSync() {
        ensureOpen();
        requireGroup("commit");
        Map<TopicPartition, Long> positions = new TreeMap<>();
        owned.forEach((tp, st) -> {
            if (st.position != UNKNOWN) {
                positions.put(tp, st.position);
            }
        });
        if (!positions.isEmpty()) {
            commitSync(positions);
        }
    }

    @Override
    public void commitSync(Map<TopicPartition, Long> offsets) {
        String group = checkCommit(offsets);
        if (offsets.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> copy = Map.copyOf(offsets);
        Membership m = membership;
        if (mode == Mode.SUBSCRIBED && m != null) {
            coordinator.commitAsOwner(m, copy);
        } else {
            commitUnowned(group, copy);
        }
    }

    /**
     * As a member: checks ownership and writes the commit here, in call order, and waits for the offset store's sync
     * on a thread of its own, which completes the future. A consumer without a group membership commits synchronously.
     */
    @Override
    public CompletableFuture<Void> commitAsync(Map<TopicPartition, Long> offsets) {
        String group = checkCommit(offsets);
        Membership m = membership;
        if (offsets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Map<TopicPartition, Long> copy = Map.copyOf(offsets);
        if (mode != Mode.SUBSCRIBED || m == null) {
            commitUnowned(group, copy);
            return CompletableFuture.completedFuture(null);
        }
        long ticket = coordinator.stageAsOwner(m, copy);
        CompletableFuture<Void> done = new CompletableFuture<>();
        // A platform thread: the sync is a blocking fdatasync, tens of ms on a busy disk, and on a virtual thread it
        // would hold one of the few carriers (as many as cores) that handler threads run on for that long (the JDK
        // can at best compensate by adding a carrier).
        Thread.ofPlatform().daemon().name("tributary-commit-" + config.clientId()).start(() -> {
            try {
                coordinator.awaitDurable(ticket);
                done.complete(null);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** The checks every commit makes before writing anything; returns the group. */
    private String checkCommit(Map<TopicPartition, Long> offsets) {
        ensureOpen();
        String group = requireGroup("commit");
        for (var e : offsets.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Cannot commit offset " + e.getValue()
                        + " for " + e.getKey() + " in group '" + group + "': a committed offset is the next offset to "
                        + "read, 0 or more; nothing was committed");
            }
        }
        return group;
    }

    private void commitUnowned(String group, Map<TopicPartition, Long> copy) {
        Set<TopicPartition> notAssigned = new TreeSet<>(copy.keySet());
        notAssigned.removeAll(owned.keySet());
        if (!notAssigned.isEmpty()) {
            throw new ConflictException(LogErrors.NOT_PARTITION_OWNER, "Consumer '"
                    + config.clientId() + "' (group '" + group + "', no group membership) is not assigned "
                    + notAssigned + "; nothing was committed. Assign those partitions first, or commit only "
                    + "partitions in assignment()");
        }
        coordinator.commitUnowned(group, config.clientId(), copy);
    }

    @Override
    public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
        ensureOpen();
        String group = requireGroup("read committed offsets");
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            store.committed(group, tp).ifPresent(o -> out.put(tp, o));
        }
        return Map.copyOf(out);
    }

    private String requireGroup(String what) {
        return config.groupId().orElseThrow(() -> new InvalidRequestException(LogErrors.GROUP_ID_REQUIRED,
                "Consumer '" + config.clientId() + "' has no group id, so it cannot " + what + "; set one with "
                        + "ConsumerConfig.forGroup(\"my-group\")"));
    }

    private String group() {
        return config.groupId().orElse("");
    }

    // ---- metadata ----

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        ensureOpen();
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            out.put(tp, reads.startOffset(tp));
        }
        return Map.copyOf(out);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        ensureOpen();
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            out.put(tp, reads.endOffset(tp));
        }
        return Map.copyOf(out);
    }

    @Override
    public int partitionCount(String topic) {
        ensureOpen();
        return reads.partitionCount(topic);
    }

    @Override
    public Optional<ConsumerGroupMetadata> groupMetadata() {
        Membership m = membership;
        if (mode != Mode.SUBSCRIBED || m == null) {
            return Optional.empty();
        }
        return Optional.of(new ConsumerGroupMetadata(m.groupId, m.generation, m.memberId));
    }

    // ---- lifecycle ----

    @Override
    public void wakeup() {
        wakeupRequested = true;
        interruptIfWaiting();
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            leaveOrDrop(true);
        } finally {
            closed = true;
            onClose.run();
        }
    }

    /**
     * Closes from another thread (the log is closing): leaves the group without listener callbacks, which must run
     * on the consumer's own thread, and wakes a blocked poll, which then fails with {@code CLOSED}.
     */
    void closeFromOutside() {
        closed = true;
        Membership m = membership;
        if (m != null) {
            coordinator.leave(m, "the event log was closed");
        }
        interruptIfWaiting();
    }

    private void ensureOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "Consumer '" + config.clientId() + "' is closed; "
                    + "create a new one with EventLog.consumer(config)");
        }
    }

    private void rebuildOrder() {
        order.clear();
        order.addAll(new TreeSet<>(owned.keySet()));
    }
}
