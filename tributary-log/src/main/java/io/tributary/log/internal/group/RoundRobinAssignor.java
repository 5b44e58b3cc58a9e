package io.tributary.log.internal.group;

import io.tributary.log.TopicPartition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Spreads a group's partitions over its members, round-robin, like Kafka's {@code RoundRobinAssignor}.
 *
 * <p>Partitions are taken in order (topic name, then partition number) and dealt to the members in member-id order,
 * one each in turn, skipping members not subscribed to the partition's topic; the turn carries over from one topic to
 * the next. The result depends only on the members, their subscriptions and the partition counts (deterministic).
 * Every partition of a subscribed, existing topic goes to exactly one member subscribed to it; when all members
 * subscribe to the same topics, their partition counts differ by at most one.
 *
 * <p>Stateless and thread-safe.
 */
final class RoundRobinAssignor {

    private RoundRobinAssignor() {
    }

    /**
     * @param subscriptions   member id to the topics it subscribes to
     * @param partitionCounts partition count of each existing topic (topics absent here are not assigned)
     * @return member id to its partitions; every member is present, possibly with none
     */
    static Map<String, Set<TopicPartition>> assign(SortedMap<String, Set<String>> subscriptions,
                                                   Map<String, Integer> partitionCounts) {
        Map<String, Set<TopicPartition>> out = new HashMap<>();
        for (String m : subscriptions.keySet()) {
            out.put(m, new HashSet<>());
        }
        List<String> members = new ArrayList<>(subscriptions.keySet());
        if (members.isEmpty()) {
            return out;
        }
        TreeMap<String, Integer> topics = new TreeMap<>();
        for (Set<String> s : subscriptions.values()) {
            for (String t : s) {
                Integer n = partitionCounts.get(t);
                if (n != null) {
                    topics.put(t, n);
                }
            }
        }
        int turn = 0;
        for (var topic : topics.entrySet()) {
            for (int p = 0; p < topic.getValue(); p++) {
                // At least one member subscribes to this topic, so this finds one within members.size() steps.
                while (!subscriptions.get(members.get(turn % members.size())).contains(topic.getKey())) {
                    turn++;
                }
                out.get(members.get(turn % members.size())).add(new TopicPartition(topic.getKey(), p));
                turn++;
            }
        }
        return out;
    }
}
