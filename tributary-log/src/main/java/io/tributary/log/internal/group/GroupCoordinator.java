package io.tributary.log.internal.group;

import io.tributary.core.ConflictException;
import io.tributary.core.NotFoundException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.GroupMember;
import io.tributary.log.GroupState;
import io.tributary.log.LogErrors;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.PartitionReads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Keeps every consumer group of one embedded log: members, generations, who should own and who does own each
 * partition, and liveness.
 *
 * <h2>Protocol</h2>
 * The coordinator computes assignments itself (like Kafka's KIP-848 groups) with {@link RoundRobinAssignor}, on
 * every join, leave, eviction, subscription change, and change of the subscribed topics (created, deleted). Each
 * recomputation is a new generation. A member's consumer reconciles inside {@code poll}: it first revokes the
 * partitions no longer in its target (calling {@code onPartitionsRevoked} while it still owns them, so it can
 * commit), then {@link #release releases} them, then {@link #acquire acquires} the new ones that are free and calls
 * {@code onPartitionsAssigned}. Only partitions that move are revoked (incremental, not stop-the-world).
 * <p><b>One owner at a time:</b> a partition is acquired only once no member owns it, so a new owner never reads a
 * partition before the previous owner has had its revoke callback. The one exception is a member removed for
 * liveness (session timeout or max poll interval): its partitions are freed at once, as Kafka does with a dead or
 * stuck member; its consumer learns of it at its next poll, gets {@code onPartitionsRevoked} for everything (commits
 * made there fail with {@code NOT_PARTITION_OWNER}), and rejoins as a new member.
 *
 * <h2>Liveness</h2>
 * A background heartbeat is sent for each member every {@link ConsumerConfig#heartbeatInterval()} as long as its
 * consumer is open and reachable and the thread that polls it is alive; a member whose heartbeats stop for
 * {@link ConsumerConfig#sessionTimeout()} is removed. Independently, a member that does not call {@code poll} for
 * {@link ConsumerConfig#maxPollInterval()} (while not inside {@code poll}) is removed. One daemon thread,
 * {@code tributary-group-coordinator}, does both; it sleeps while there are no members. New topics matching a
 * subscription are picked up on the same tick.
 *
 * <p><b>Thread-safety:</b> thread-safe; one lock guards all groups. Consumers read their target and change stamp
 * through volatile fields without it, so the poll hot path takes no lock unless something changed.
 * <p><b>Durability:</b> membership lives in memory only (members are consumers in this JVM); committed offsets are
 * durable in the {@link OffsetStore}, and commits go through here so that ownership is checked atomically with them.
 */
final class GroupCoordinator implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GroupCoordinator.class.getName());

    /** What a member's consumer needs to reconcile, read atomically. */
    record MemberView(boolean active, String leaveReason, int generation, Set<TopicPartition> target,
                      Set<TopicPartition> owned, long stamp) {
    }

    /** A group's state and members for {@code describeGroup}. */
    record GroupView(GroupState state, List<GroupMember> members, Set<TopicPartition> assigned) {
    }

    private static final class Group {
        final String id;
        final TreeMap<String, Membership> members = new TreeMap<>();
        final Map<TopicPartition, Membership> owners = new HashMap<>();
        Map<String, Integer> partitionCounts = Map.of();
        int generation;

        Group(String id) {
            this.id = id;
        }
    }

    private final PartitionReads reads;
    private final OffsetStore store;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition membersChanged = lock.newCondition();
    private final Map<String, Group> groups = new HashMap<>();
    private final Thread timer;
    private boolean closed;

    GroupCoordinator(PartitionReads reads, OffsetStore store) {
        this.reads = reads;
        this.store = store;
        this.timer = Thread.ofPlatform().daemon().name("tributary-group-coordinator").unstarted(this::runTimer);
        timer.start();
    }

    // ---- membership ----

    Membership join(String groupId, ConsumerConfig config, Set<String> topics, EmbeddedConsumer consumer) {
        lock.lock();
        try {
            String memberId = config.clientId() + "-" + UUID.randomUUID();
            Membership m = new Membership(groupId, memberId, config, topics, consumer);
            Group g = groups.computeIfAbsent(groupId, Group::new);
            g.members.put(memberId, m);
            rebalance(g, true);
            membersChanged.signalAll();
            LOG.log(System.Logger.Level.DEBUG, () -> "Member " + m + " joined group '" + groupId + "', generation "
                    + g.generation);
            return m;
        } finally {
            lock.unlock();
        }
    }

    void changeSubscription(Membership m, Set<String> topics) {
        lock.lock();
        try {
            Group g = groups.get(m.groupId);
            if (!m.active || g == null) {
                return;
            }
            m.subscription = Set.copyOf(topics);
            rebalance(g, true);
        } finally {
            lock.unlock();
        }
    }

    /** The member leaves (close, unsubscribe); its partitions are freed and the rest of the group rebalances. */
    void leave(Membership m, String reason) {
        lock.lock();
        try {
            remove(m, reason);
        } finally {
            lock.unlock();
        }
    }

    private void remove(Membership m, String reason) {
        Group g = groups.get(m.groupId);
        if (!m.active || g == null) {
            return;
        }
        m.active = false;
        m.leaveReason = reason;
        g.members.remove(m.memberId);
        for (TopicPartition tp : m.owned) {
            g.owners.remove(tp, m);
        }
        m.owned.clear();
        m.target = Set.of();
        m.nudge();
        if (g.members.isEmpty()) {
            groups.remove(g.id);
        } else {
            rebalance(g, true);
        }
    }

    MemberView view(Membership m) {
        lock.lock();
        try {
            return new MemberView(m.active, m.leaveReason, m.generation, m.target, Set.copyOf(m.owned), m.stamp);
        } finally {
            lock.unlock();
        }
    }

    /** Frees partitions after the member's revoke callback; members waiting for them are woken. */
    void release(Membership m, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            Group g = groups.get(m.groupId);
            for (TopicPartition tp : partitions) {
                m.owned.remove(tp);
                if (g != null) {
                    g.owners.remove(tp, m);
                }
            }
            if (g != null) {
                for (Membership other : g.members.values()) {
                    if (other != m) {
                        other.stamp++;
                        other.nudge();
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Takes those of {@code partitions} that are in the member's target and owned by no one; returns them. */
    Set<TopicPartition> acquire(Membership m, Collection<TopicPartition> partitions) {
        lock.lock();
        try {
            Group g = groups.get(m.groupId);
            Set<TopicPartition> got = new TreeSet<>();
            if (!m.active || g == null) {
                return got;
            }
            for (TopicPartition tp : partitions) {
                if (m.target.contains(tp) && !g.owners.containsKey(tp)) {
                    g.owners.put(tp, m);
                    m.owned.add(tp);
                    got.add(tp);
                }
            }
            return got;
        } finally {
            lock.unlock();
        }
    }

    // ---- commits ----

    /**
     * Commits for a group member, after checking, atomically with the commit, that it owns every partition.
     * {@code NOT_PARTITION_OWNER} otherwise, with nothing committed.
     */
    void commitAsOwner(Membership m, Map<TopicPartition, Long> offsets) {
        // The sync waits outside the lock so rebalances go on meanwhile and concurrent commits share one fsync.
        store.awaitDurable(stageAsOwner(m, offsets));
    }

    /**
     * The ownership check and write of {@link #commitAsOwner}, without waiting for the sync: returns the ticket to
     * pass to {@link #awaitDurable}. Commits staged in this order are applied in this order.
     */
    long stageAsOwner(Membership m, Map<TopicPartition, Long> offsets) {
        long ticket;
        lock.lock();
        try {
            Set<TopicPartition> notOwned = new TreeSet<>();
            for (TopicPartition tp : offsets.keySet()) {
                if (!m.active || !m.owned.contains(tp)) {
                    notOwned.add(tp);
                }
            }
            if (!notOwned.isEmpty()) {
                String why = m.active ? "" : " (the member was removed from the group: " + m.leaveReason
                        + "; it rejoins at its next poll)";
                throw new ConflictException(LogErrors.NOT_PARTITION_OWNER, "Member " + m + " of group '"
                        + m.groupId + "' does not own partition(s) " + notOwned + why + "; nothing was committed. "
                        + "Commit only partitions in assignment(); to keep progress across a rebalance, commit in "
                        + "RebalanceListener.onPartitionsRevoked");
            }
            ticket = store.stageCommit(m.groupId, offsets);
        } finally {
            lock.unlock();
        }
        return ticket;
    }

    /** Returns once the commit staged with this ticket is durable and visible (one sync serves many tickets). */
    void awaitDurable(long ticket) {
        store.awaitDurable(ticket);
    }

    /**
     * Commits for a consumer that assigned its partitions itself; refused for partitions a member of the group owns,
     * so a manual consumer cannot overwrite a live member's progress.
     */
    void commitUnowned(String groupId, String clientId, Map<TopicPartition, Long> offsets) {
        long ticket;
        lock.lock();
        try {
            Group g = groups.get(groupId);
            if (g != null) {
                Map<TopicPartition, Membership> taken = new TreeMap<>();
                for (TopicPartition tp : offsets.keySet()) {
                    Membership owner = g.owners.get(tp);
                    if (owner != null) {
                        taken.put(tp, owner);
                    }
                }
                if (!taken.isEmpty()) {
                    throw new ConflictException(LogErrors.NOT_PARTITION_OWNER, "Consumer '" + clientId
                            + "' (assigned manually, not a member) cannot commit " + taken.keySet() + " for group '"
                            + groupId + "': owned by member(s) " + new TreeSet<>(taken.values().stream()
                            .map(Membership::toString).toList()) + "; nothing was committed. Use a different group "
                            + "id for manual assignment, or stop the group's members first");
                }
            }
            ticket = store.stageCommit(groupId, offsets);
        } finally {
            lock.unlock();
        }
        store.awaitDurable(ticket);
    }

    /**
     * Runs {@code action} while holding the lock, only if the group has no members (so none can join meanwhile);
     * {@code GROUP_NOT_EMPTY} otherwise, naming the members.
     */
    <T> T whileEmpty(String groupId, String what, Supplier<T> action) {
        lock.lock();
        try {
            Group g = groups.get(groupId);
            if (g != null && !g.members.isEmpty()) {
                throw new ConflictException(LogErrors.GROUP_NOT_EMPTY, "Cannot " + what + " of group '" + groupId
                        + "' while it has " + g.members.size() + " active member(s): " + g.members.values()
                        + ". Stop them first (close their consumers), then retry");
            }
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** The topic is gone: its partitions leave every assignment at once, and its committed offsets are dropped. */
    void topicDeleted(String topic) {
        lock.lock();
        try {
            for (Group g : groups.values()) {
                g.owners.keySet().removeIf(tp -> tp.topic().equals(topic));
                for (Membership m : g.members.values()) {
                    m.owned.removeIf(tp -> tp.topic().equals(topic));
                }
                rebalance(g, false, topic);
            }
            store.deleteTopic(topic);
        } finally {
            lock.unlock();
        }
    }

    // ---- views ----

    List<String> groupIds() {
        lock.lock();
        try {
            return List.copyOf(groups.keySet());
        } finally {
            lock.unlock();
        }
    }

    Optional<GroupView> describe(String groupId) {
        lock.lock();
        try {
            Group g = groups.get(groupId);
            if (g == null || g.members.isEmpty()) {
                return Optional.empty();
            }
            List<GroupMember> members = new ArrayList<>();
            Set<TopicPartition> assigned = new TreeSet<>();
            boolean revoking = false;
            boolean handingOut = false;
            for (Membership m : g.members.values()) {
                members.add(new GroupMember(m.memberId, m.clientId, m.owned));
                assigned.addAll(m.target);
                revoking |= !m.target.containsAll(m.owned);
                handingOut |= !m.owned.containsAll(m.target);
            }
            GroupState state = revoking ? GroupState.PREPARING_REBALANCE
                    : handingOut ? GroupState.COMPLETING_REBALANCE : GroupState.STABLE;
            return Optional.of(new GroupView(state, members, assigned));
        } finally {
            lock.unlock();
        }
    }

    // ---- assignment ----

    private void rebalance(Group g, boolean membershipChanged, String... excludedTopics) {
        Map<String, Integer> counts = partitionCounts(g, Set.of(excludedTopics));
        if (!membershipChanged && counts.equals(g.partitionCounts)) {
            return;
        }
        g.partitionCounts = counts;
        TreeMap<String, Set<String>> subs = new TreeMap<>();
        for (Membership m : g.members.values()) {
            subs.put(m.memberId, m.subscription);
        }
        Map<String, Set<TopicPartition>> targets = RoundRobinAssignor.assign(subs, counts);
        g.generation++;
        for (Membership m : g.members.values()) {
            m.target = Set.copyOf(targets.get(m.memberId));
            m.generation = g.generation;
            m.stamp++;
            m.nudge();
        }
    }

    private Map<String, Integer> partitionCounts(Group g, Set<String> excluded) {
        Set<String> wanted = new HashSet<>();
        for (Membership m : g.members.values()) {
            wanted.addAll(m.subscription);
        }
        Set<String> existing = reads.topics();
        Map<String, Integer> counts = new HashMap<>();
        for (String t : wanted) {
            if (existing.contains(t) && !excluded.contains(t)) {
                try {
                    counts.put(t, reads.partitionCount(t));
                } catch (NotFoundException deletedMeanwhile) {
                    // Gone between topics() and partitionCount(): not assignable.
                }
            }
        }
        return counts;
    }

    // ---- liveness ----

    private void runTimer() {
        lock.lock();
        try {
            while (!closed) {
                long tick = Long.MAX_VALUE;
                for (Group g : groups.values()) {
                    for (Membership m : g.members.values()) {
                        tick = Math.min(tick, Math.min(m.config.heartbeatInterval().toNanos(),
                                m.config.maxPollInterval().toNanos() / 4));
                    }
                }
                if (tick == Long.MAX_VALUE) {
                    membersChanged.await();
                } else {
                    membersChanged.awaitNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), tick));
                }
                if (!closed) {
                    tick();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Group coordinator timer stopped; groups no longer expire members", e);
        } finally {
            lock.unlock();
        }
    }

    /** One timer round: send due heartbeats, remove dead or stuck members, notice subscribed topics that appeared. */
    private void tick() {
        long now = System.nanoTime();
        for (Group g : List.copyOf(groups.values())) {
            for (Membership m : List.copyOf(g.members.values())) {
                if (m.heartbeating()) {
                    m.lastHeartbeatNanos = now;
                }
                Duration session = m.config.sessionTimeout();
                Duration maxPoll = m.config.maxPollInterval();
                if (now - m.lastHeartbeatNanos > session.toNanos()) {
                    evict(g, m, "no heartbeat for sessionTimeout=" + session + " (its consumer was dropped without "
                            + "close() or the thread polling it ended)");
                } else if (!m.inPoll && now - m.lastPollNanos > maxPoll.toNanos()) {
                    evict(g, m, "no poll() for maxPollInterval=" + maxPoll + " (processing between polls took too "
                            + "long; poll more often, lower maxPollRecords, or raise maxPollInterval)");
                }
            }
            if (groups.get(g.id) == g) {
                rebalance(g, false);
            }
        }
    }

    private void evict(Group g, Membership m, String reason) {
        LOG.log(System.Logger.Level.WARNING, "Removing member " + m + " from group '" + g.id + "': " + reason
                + "; its partitions " + new TreeSet<>(m.owned) + " are reassigned");
        remove(m, reason);
    }

    /** Every member's target and owned partitions, for tests. */
    Map<String, Set<TopicPartition>> targets(String groupId) {
        lock.lock();
        try {
            Group g = groups.get(groupId);
            return g == null ? Map.of() : g.members.values().stream()
                    .collect(Collectors.toMap(m -> m.memberId, m -> m.target));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            membersChanged.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            timer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
