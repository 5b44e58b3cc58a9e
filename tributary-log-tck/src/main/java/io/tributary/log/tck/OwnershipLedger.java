package io.tributary.log.tck;

import io.tributary.log.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who owns which partition, as told by the members' rebalance listeners, with every moment two members owned the
 * same partition recorded as a violation. Also keeps each member's listener calls in one global order, so a test can
 * check that an old owner saw {@code revoked} before a new owner saw {@code assigned}.
 *
 * <p>Thread-safe: listeners of different members call it from their own threads; every method is synchronized, so
 * the order of the recorded events is the real-time order of the callbacks.
 */
final class OwnershipLedger {

    /** One listener call. */
    enum Kind { ASSIGNED, REVOKED }

    /**
     * @param seq        global order of the call among every member's calls
     * @param member     the member's name in the test
     * @param kind       which callback
     * @param partitions what it was called with
     */
    record Event(long seq, String member, Kind kind, Set<TopicPartition> partitions) {
    }

    private final Map<TopicPartition, String> owners = new HashMap<>();
    private final Set<String> detached = new HashSet<>();
    private final List<Event> events = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private long seq;

    synchronized void assigned(String member, Collection<TopicPartition> partitions) {
        if (detached.contains(member)) {
            return;
        }
        events.add(new Event(seq++, member, Kind.ASSIGNED, Set.copyOf(partitions)));
        for (TopicPartition tp : partitions) {
            String previous = owners.putIfAbsent(tp, member);
            if (previous != null && !previous.equals(member)) {
                violations.add(tp + " was assigned to " + member + " while " + previous
                        + " still owned it (no revoked callback yet)");
            }
        }
    }

    synchronized void revoked(String member, Collection<TopicPartition> partitions) {
        if (detached.contains(member)) {
            return;
        }
        events.add(new Event(seq++, member, Kind.REVOKED, Set.copyOf(partitions)));
        for (TopicPartition tp : partitions) {
            owners.remove(tp, member);
        }
    }

    /**
     * The member stopped processing (it is closing, stalled or crashed): it owns nothing from now on, and its later
     * callbacks (e.g. when a stalled consumer is finally closed) are ignored.
     */
    synchronized void detach(String member) {
        detached.add(member);
        owners.values().removeIf(member::equals);
    }

    synchronized Set<TopicPartition> ownedBy(String member) {
        Set<TopicPartition> out = new TreeSet<>();
        owners.forEach((tp, m) -> {
            if (m.equals(member)) {
                out.add(tp);
            }
        });
        return out;
    }

    synchronized Map<TopicPartition, String> owners() {
        return Map.copyOf(owners);
    }

    synchronized List<Event> events(String member) {
        return events.stream().filter(e -> e.member().equals(member)).toList();
    }

    synchronized List<String> violations() {
        return List.copyOf(violations);
    }
}
