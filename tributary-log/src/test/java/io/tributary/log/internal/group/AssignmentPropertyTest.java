package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Random sequences of joins (with random subscriptions) and leaves: after every step the group's targets cover every
 * partition of every subscribed topic exactly once, only members subscribed to a topic get its partitions, and with
 * identical subscriptions the counts differ by at most one. jqwik prints the seed of every run and of any failure.
 */
class AssignmentPropertyTest {

    private static final Map<String, Integer> TOPICS = Map.of("a", 3, "b", 5, "c", 1);

    record Step(boolean join, Set<String> topics, int leaveIndex) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Set<String>> subs = Arbitraries.of("a", "b", "c", "missing").set().ofMinSize(1).ofMaxSize(3);
        Arbitrary<Step> step = Combinators.combine(Arbitraries.integers().between(0, 2), subs,
                Arbitraries.integers().between(0, 20)).as((kind, topics, idx) -> new Step(kind > 0, topics, idx));
        return step.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 100, shrinking = ShrinkingMode.BOUNDED)
    void joinsAndLeavesAlwaysYieldACompleteNonOverlappingAssignment(@ForAll("steps") List<Step> steps,
                                                                     @ForAll boolean sameSubscription) throws Exception {
        InMemoryPartitions reads = new InMemoryPartitions();
        TOPICS.forEach(reads::createTopic);
        Path dir = Files.createTempDirectory("assign-prop");
        try (EmbeddedGroups groups = new EmbeddedGroups(reads, dir)) {
            runSteps(groups, steps, sameSubscription);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void runSteps(EmbeddedGroups groups, List<Step> steps, boolean sameSubscription) {
        {
            List<EmbeddedConsumer> members = new ArrayList<>();
            Map<EmbeddedConsumer, Set<String>> subscribed = new java.util.HashMap<>();
            for (Step s : steps) {
                if (s.join() || members.isEmpty()) {
                    EmbeddedConsumer c = (EmbeddedConsumer) groups.newConsumer(ConsumerConfig.forGroup("g")
                            .withClientId("m" + members.size()));
                    Set<String> topics = sameSubscription ? Set.of("a", "b", "c") : s.topics();
                    c.subscribe(topics, io.tributary.log.RebalanceListener.NONE);
                    members.add(c);
                    subscribed.put(c, topics);
                } else {
                    EmbeddedConsumer c = members.remove(s.leaveIndex() % members.size());
                    subscribed.remove(c);
                    c.close();
                }
                check(groups, subscribed, sameSubscription);
            }
        }
    }

    private static void check(EmbeddedGroups groups, Map<EmbeddedConsumer, Set<String>> subscribed, boolean same) {
        Map<String, Set<TopicPartition>> targets = groups.coordinator().targets("g");
        assertThat(targets).hasSize(subscribed.size());
        Set<String> wanted = new HashSet<>();
        subscribed.values().forEach(wanted::addAll);
        Set<TopicPartition> expected = new TreeSet<>();
        for (String t : wanted) {
            for (int p = 0; p < TOPICS.getOrDefault(t, 0); p++) {
                expected.add(new TopicPartition(t, p));
            }
        }
        List<TopicPartition> all = new ArrayList<>();
        targets.values().forEach(all::addAll);
        assertThat(all).as("no partition twice").doesNotHaveDuplicates();
        assertThat(new TreeSet<>(all)).as("every subscribed partition once").isEqualTo(expected);
        for (EmbeddedConsumer c : subscribed.keySet()) {
            String id = c.groupMetadata().orElseThrow().memberId();
            assertThat(targets.get(id)).allSatisfy(tp -> assertThat(subscribed.get(c)).contains(tp.topic()));
        }
        if (same && !targets.isEmpty()) {
            int min = targets.values().stream().mapToInt(Set::size).min().orElseThrow();
            int max = targets.values().stream().mapToInt(Set::size).max().orElseThrow();
            assertThat(max - min).as("balanced").isLessThanOrEqualTo(1);
        }
    }
}
