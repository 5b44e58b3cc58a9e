package io.tributary.log.internal.group;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.LogConsumer;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The child JVM of {@link OffsetStoreCrashTest}: consumes a 4-partition topic in group {@code crash} and commits after
 * every poll, printing {@code try p0 p1 p2 p3} before each commitSync and {@code ack p0 p1 p2 p3} once it returned,
 * flushed at once, until it is killed.
 *
 * <p>Arguments: data folder, seed. The in-memory partitions are refilled up to the committed offsets on start, so
 * positions keep growing from one life to the next.
 */
public final class OffsetCommitChild {

    static final String GROUP = "crash";
    static final int PARTITIONS = 4;

    private OffsetCommitChild() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Random random = new Random(Long.parseLong(args[1]));
        PrintStream out = System.out;
        InMemoryPartitions reads = new InMemoryPartitions();
        reads.createTopic("t", PARTITIONS);
        // A small compaction threshold so crashes also land in the middle of compactions.
        EmbeddedGroups groups = new EmbeddedGroups(reads, OffsetStore.open(dir, 2048));
        LogConsumer consumer = groups.newConsumer(ConsumerConfig.forGroup(GROUP).withClientId("child"));
        List<TopicPartition> tps = GroupTestSupport.partitions("t", PARTITIONS);
        Map<TopicPartition, Long> committed = consumer.committed(new HashSet<>(tps));
        for (TopicPartition tp : tps) {
            for (long i = 0; i < committed.getOrDefault(tp, 0L); i++) {
                reads.append(tp, "r");
            }
        }
        consumer.subscribe(List.of("t"), RebalanceListener.NONE);
        out.println("ready");
        out.flush();
        while (true) {
            int n = 1 + random.nextInt(4);
            for (int i = 0; i < n; i++) {
                reads.append(tps.get(random.nextInt(PARTITIONS)), "r");
            }
            consumer.poll(Duration.ofMillis(5));
            if (consumer.assignment().size() < PARTITIONS) {
                continue;
            }
            StringBuilder line = new StringBuilder();
            for (TopicPartition tp : tps) {
                line.append(' ').append(consumer.position(tp));
            }
            out.println("try" + line);
            out.flush();
            consumer.commitSync();
            out.println("ack" + line);
            out.flush();
        }
    }
}
