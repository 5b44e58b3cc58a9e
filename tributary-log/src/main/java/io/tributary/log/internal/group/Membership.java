package io.tributary.log.internal.group;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.TopicPartition;
import java.lang.ref.WeakReference;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One member of one consumer group, as the {@link GroupCoordinator} sees it: identity, subscription, the partitions
 * it should own (target) and those it does own, and its liveness clocks.
 *
 * <p><b>Thread-safety:</b> the fields marked "coordinator lock" are read and written only under the coordinator's
 * lock; the volatile ones are published by the coordinator to the member's consumer thread (and liveness clocks the
 * other way) without a lock. The member holds its consumer only weakly, so a
 * consumer dropped without {@code close()} stops heartbeating and is removed after its session timeout.
 */
final class Membership {

    final String groupId;
    final String memberId;
    final String clientId;
    final ConsumerConfig config;
    private final WeakReference<EmbeddedConsumer> consumer;

    /** Topics subscribed to. Coordinator lock. */
    Set<String> subscription;
    /** Partitions this member owns now (between acquire and release). Coordinator lock. */
    final Set<TopicPartition> owned = new HashSet<>();

    /** False once the member left or was removed; it never becomes true again (a rejoin is a new membership). */
    volatile boolean active = true;
    /** Why the member was removed, for messages. */
    volatile String leaveReason = "";
    /** Changes whenever this member has something to reconcile: a new target, or a partition it wants was freed. */
    volatile long stamp;
    volatile int generation;
    volatile Set<TopicPartition> target = Set.of();

    volatile long lastHeartbeatNanos;
    volatile long lastPollNanos;
    volatile boolean inPoll;
    volatile @Nullable Thread pollThread;

    Membership(String groupId, String memberId, ConsumerConfig config, Set<String> subscription,
               EmbeddedConsumer consumer) {
        this.groupId = groupId;
        this.memberId = memberId;
        this.clientId = config.clientId();
        this.config = config;
        this.subscription = Set.copyOf(subscription);
        this.consumer = new WeakReference<>(consumer);
        long now = System.nanoTime();
        this.lastHeartbeatNanos = now;
        this.lastPollNanos = now;
    }

    /**
     * Whether the member's background heartbeat would still be sent: its consumer is reachable and open, and the
     * thread that polls it (if it has polled) is alive. A thread that died without closing its consumer is the
     * in-process form of a crashed client.
     */
    boolean heartbeating() {
        EmbeddedConsumer c = consumer.get();
        Thread t = pollThread;
        return c != null && !c.isClosed() && (t == null || t.isAlive());
    }

    /** Wakes the member's consumer if it is blocked in {@code poll}, so it reconciles at once. */
    void nudge() {
        EmbeddedConsumer c = consumer.get();
        if (c != null) {
            c.interruptIfWaiting();
        }
    }

    void pollStarted() {
        pollThread = Thread.currentThread();
        lastPollNanos = System.nanoTime();
        inPoll = true;
    }

    void pollEnded() {
        lastPollNanos = System.nanoTime();
        inPoll = false;
    }

    @Override
    public String toString() {
        return memberId + " (client '" + clientId + "')";
    }
}
