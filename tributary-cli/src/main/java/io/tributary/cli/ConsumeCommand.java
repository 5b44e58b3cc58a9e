package io.tributary.cli;

import io.tributary.cli.internal.ProgressLine;
import io.tributary.cli.internal.RecordLines;
import io.tributary.cli.internal.Units;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerConfig.AutoOffsetReset;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tributary log consume}: prints records, alone (all partitions) or as a member of a consumer group, until
 * {@code --max}, the end of the log ({@code --until-end}), an idle timeout, or Ctrl-C.
 */
@Command(name = "consume", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print records of a topic, one per line: 'partition<TAB>offset<TAB>key<TAB>value'.",
            "Tab, newline, CR and backslash inside key or value are written as \\t \\n \\r \\\\. "
                + "Without --group, reads every partition and commits nothing; with --group, joins the group, "
                + "reads the partitions it is given and commits what it printed."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary log consume orders --from-beginning --until-end",
            "  tributary log consume orders --group billing --max 100",
            "  tributary log consume orders --from-beginning --json --until-end | jq .value",
        })
final class ConsumeCommand implements Callable<Integer> {

    private static final Duration POLL = Duration.ofMillis(200);

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to read.")
    String topic = "";

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Consume as a member of this consumer group, from its committed offsets, committing as it goes.")
    @Nullable String group;

    @Option(names = "--from-beginning",
            description = "Start at the oldest record (with --group: only where the group has no committed offset). "
                    + "Default: only records appended from now on.")
    boolean fromBeginning;

    @Option(names = "--partition", paramLabel = "P", split = ",",
            description = "Without --group: read only these partitions (comma-separated or repeated).")
    List<Integer> partitions = new ArrayList<>();

    @Option(names = "--max", paramLabel = "N", description = "Exit after printing N records.")
    @Nullable Long max;

    @Option(names = "--until-end",
            description = "Exit when every partition read has reached the end offset it had when reading started.")
    boolean untilEnd;

    @Option(names = "--idle-timeout", paramLabel = "DURATION",
            description = "Exit after this long without a record, e.g. PT10S or 10s.", converter = DurationConverter.class)
    @Nullable Duration idleTimeout;

    @Option(names = "--json", description = "Print one JSON object per record instead of text.")
    boolean json;

    /** End offsets to reach for --until-end, per partition read. */
    private final Map<TopicPartition, Long> targets = new HashMap<>();
    /** Next offset after the last printed record, per partition: what the group commits. */
    private final Map<TopicPartition, Long> printedThrough = new HashMap<>();
    private volatile long printed;
    private volatile boolean stopRequested;

    @Override
    public Integer call() throws InterruptedException {
        if (max != null && max < 1) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--max " + max
                    + " must be at least 1; leave it out to read without a limit.");
        }
        if (group != null && !partitions.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--partition cannot be combined with "
                    + "--group: a group decides which partitions each member reads. Drop one of them.");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConsumerConfig config = (group == null ? ConsumerConfig.defaults() : ConsumerConfig.forGroup(group))
                .withClientId("tributary-cli")
                .withAutoOffsetReset(fromBeginning ? AutoOffsetReset.EARLIEST : AutoOffsetReset.LATEST);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<@Nullable LogConsumer> active = new AtomicReference<>();
        // Ctrl-C: stop the loop, wake a waiting poll, and let the group commit before the JVM exits.
        Thread stopOnSignal = new Thread(() -> {
            stopRequested = true;
            LogConsumer c = active.get();
            if (c != null) {
                c.wakeup();
            }
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tributary-consume-stop");
        ProgressLine progress = new ProgressLine(err, Duration.ofSeconds(5),
                () -> "consume: printed " + Units.count(printed) + " records");
        try (EventLog log = where.openExisting(); LogConsumer consumer = log.consumer(config)) {
            active.set(consumer);
            int count = consumer.partitionCount(topic);
            if (group == null) {
                List<TopicPartition> chosen = choose(count);
                consumer.assign(chosen);
                if (fromBeginning) {
                    consumer.seekToBeginning(chosen);
                } else {
                    consumer.seekToEnd(chosen);
                }
                targets.putAll(consumer.endOffsets(chosen));
            } else {
                consumer.subscribe(List.of(topic), new CommitOnRevoke(consumer));
            }
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            read(consumer, out);
            if (group != null && !printedThrough.isEmpty()) {
                consumer.commitSync(owned(consumer, printedThrough));
            }
        } finally {
            progress.stop();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnSignal);
            } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNotAdded) {
                // nothing to undo
            }
        }
        if (!json && printed == 0) {
            err.println("No records" + (fromBeginning || group != null ? "" : " appended while reading; add "
                    + "--from-beginning to read what is stored") + ".");
        }
        return ExitStatus.OK;
    }

    private void read(LogConsumer consumer, PrintWriter out) {
        long lastRecordAt = System.nanoTime();
        while (!stopRequested) {
            List<LogRecord> records = consumer.poll(POLL);
            for (LogRecord r : records) {
                out.println(json ? RecordLines.json(r) : RecordLines.text(r));
                printedThrough.put(r.topicPartition(), r.offset() + 1);
                printed++;
                if (max != null && printed >= max) {
                    out.flush();
                    return;
                }
            }
            out.flush();
            if (!records.isEmpty()) {
                lastRecordAt = System.nanoTime();
                if (group != null) {
                    consumer.commitSync(owned(consumer, printedThrough));
                }
            }
            if (untilEnd && reachedEnd(consumer)) {
                return;
            }
            if (idleTimeout != null && System.nanoTime() - lastRecordAt >= idleTimeout.toNanos()) {
                return;
            }
        }
    }

    private boolean reachedEnd(LogConsumer consumer) {
        if (consumer.assignment().isEmpty()) {
            return false;
        }
        for (TopicPartition tp : consumer.assignment()) {
            Long target = targets.get(tp);
            if (target == null || consumer.position(tp) < target) {
                return false;
            }
        }
        return true;
    }

    private List<TopicPartition> choose(int count) {
        List<TopicPartition> chosen = new ArrayList<>();
        if (partitions.isEmpty()) {
            for (int p = 0; p < count; p++) {
                chosen.add(new TopicPartition(topic, p));
            }
            return chosen;
        }
        for (int p : partitions) {
            if (p < 0 || p >= count) {
                throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + p
                        + " does not exist in topic '" + topic + "', which has partitions 0 to " + (count - 1) + ".");
            }
            chosen.add(new TopicPartition(topic, p));
        }
        return chosen;
    }

    /** The printed-through offsets of partitions this member still owns (others were committed on revoke). */
    private static Map<TopicPartition, Long> owned(LogConsumer consumer, Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, Long> mine = new HashMap<>(offsets);
        mine.keySet().retainAll(consumer.assignment());
        return mine;
    }

    /** Commits what was printed from partitions being taken away, and notes the end to reach for new ones. */
    private final class CommitOnRevoke implements RebalanceListener {
        private final LogConsumer consumer;

        CommitOnRevoke(LogConsumer consumer) {
            this.consumer = consumer;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            Map<TopicPartition, Long> done = new HashMap<>(printedThrough);
            done.keySet().retainAll(revoked);
            if (!done.isEmpty()) {
                consumer.commitSync(done);
            }
            printedThrough.keySet().removeAll(revoked);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            targets.putAll(consumer.endOffsets(assigned));
        }
    }
}
