package io.tributary.bench.internal;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child-JVM main for the start-up figure: opens the embedded log on a fresh folder, creates a topic with
 * {@code fsync=always}, appends one 100-byte record and waits for its (durable) acknowledgement, then prints
 * {@code FIRST_DURABLE_APPEND done_epoch_ms=<t> jvm_start_epoch_ms=<s>}. The JVM's start time is read only after
 * the append, so the management classes do not count against the figure.
 *
 * <p>Usage: {@code java -cp <class path> io.tributary.bench.internal.FirstDurableAppend <data-dir>}
 */
public final class FirstDurableAppend {

    private FirstDurableAppend() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long done;
        try (EventLog log = EventLogs.open(EmbeddedSettings.forDir(dir))) {
            log.admin().createTopic(new NewTopic("first", 1, TopicConfig.of(Map.of(TopicConfig.FSYNC, "always"))));
            log.producer().append("first", 0, Record.of(null, new byte[100])).get();
            done = System.currentTimeMillis();
        }
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("FIRST_DURABLE_APPEND done_epoch_ms=" + done + " jvm_start_epoch_ms=" + start);
    }
}
