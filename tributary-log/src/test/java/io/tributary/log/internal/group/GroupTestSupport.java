package io.tributary.log.internal.group;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Shared set-up: an in-memory storage side, the real consumer side over it, and helpers to drive consumers. */
abstract class GroupTestSupport {

    @TempDir
    Path dir;

    InMemoryPartitions reads;
    EmbeddedGroups groups;
    final List<LogConsumer> opened = new ArrayList<>();
    /** Every listener callback of every consumer, in the order they happened. */
    final List<String> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void openGroups() {
        reads = new InMemoryPartitions();
        groups = new EmbeddedGroups(reads, dir.resolve("groups"));
    }

    @AfterEach
    void closeGroups() {
        groups.close();
    }

    void reopenGroups() {
        groups.close();
        groups = new EmbeddedGroups(reads, dir.resolve("groups"));
    }

    /** A group member with a 1.5 s session timeout (0.5 s heartbeats), so liveness tests stay short. */
    static ConsumerConfig fast(String group, String client) {
        return ConsumerConfig.forGroup(group).withClientId(client).withSessionTimeout(Duration.ofMillis(1500));
    }

    LogConsumer consumer(ConsumerConfig config) {
        LogConsumer c = groups.newConsumer(config);
        opened.add(c);
        return c;
    }

    /** A listener that records "name revoked [..]" / "name assigned [..]" in {@link #events}. */
    RecordingListener listener(String name) {
        return new RecordingListener(name);
    }

    final class RecordingListener implements RebalanceListener {
        final String name;
        final Set<TopicPartition> assigned = new TreeSet<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        RecordingListener(String name) {
            this.name = name;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            threads.add(Thread.currentThread().getName());
            events.add(name + " revoked " + new TreeSet<>(partitions));
            assigned.removeAll(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            threads.add(Thread.currentThread().getName());
            events.add(name + " assigned " + new TreeSet<>(partitions));
            assigned.addAll(partitions);
        }
    }

    static List<TopicPartition> partitions(String topic, int count) {
        List<TopicPartition> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new TopicPartition(topic, i));
        }
        return out;
    }

    void fill(String topic, int partitions, int perPartition) {
        for (TopicPartition tp : partitions(topic, partitions)) {
            for (int i = 0; i < perPartition; i++) {
                reads.append(tp, tp + "#" + i);
            }
        }
    }

    /** Polls (short timeouts) until {@code done} holds; returns every record polled meanwhile. */
    static List<LogRecord> pollUntil(BooleanSupplier done, LogConsumer... consumers) {
        List<LogRecord> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 20 s");
            }
            for (LogConsumer c : consumers) {
                got.addAll(c.poll(Duration.ofMillis(20)));
            }
        }
        return got;
    }

    static Set<TopicPartition> union(LogConsumer... consumers) {
        Set<TopicPartition> all = new TreeSet<>();
        for (LogConsumer c : consumers) {
            all.addAll(c.assignment());
        }
        return all;
    }
}
