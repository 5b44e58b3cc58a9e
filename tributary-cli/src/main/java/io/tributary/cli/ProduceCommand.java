package io.tributary.cli;

import io.tributary.cli.internal.ProgressLine;
import io.tributary.cli.internal.RecordLines;
import io.tributary.cli.internal.Units;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code tributary log produce}: appends records read from standard input, or generated, and optionally prints each
 * acknowledgement the moment it arrives.
 */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Append records to a topic.",
            "Reads one record per line from standard input: 'key<TAB>value', or a bare value (no key). "
                + "Empty lines are skipped. With --count, generates records instead."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  printf 'order-1\\tcreated\\norder-2\\tcreated\\n' | tributary log produce orders",
            "  tributary log produce orders --count 100000 --keys 1000",
            "  tributary log produce orders --print-acks < events.tsv > acks.tsv",
        })
final class ProduceCommand implements Callable<Integer> {

    @ParentCommand
    LogCommand parent;

    @Spec
    CommandSpec spec;

    @Mixin
    LogOptions where;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to append to; it must exist.")
    String topic = "";

    @Option(names = "--count", paramLabel = "N",
            description = "Generate N records (key-<i mod keys>, value-<i>) instead of reading standard input.")
    @Nullable Long count;

    @Option(names = "--keys", paramLabel = "K", defaultValue = "100",
            description = "With --count: how many distinct keys to spread over (default: ${DEFAULT-VALUE}).")
    int keys = 100;

    @Option(names = "--partition", paramLabel = "P",
            description = "Append every record to this partition instead of choosing by key.")
    @Nullable Integer partition;

    @Option(names = "--print-acks",
            description = "Print 'partition<TAB>offset<TAB>key<TAB>value' for each record as soon as it is "
                    + "acknowledged (durable under the topic's fsync mode), flushed at once.")
    boolean printAcks;

    private final Object inFlightLock = new Object();
    private long sent;
    private long completed;
    private long acknowledged;
    private final AtomicReference<@Nullable Throwable> firstFailure = new AtomicReference<>();

    @Override
    public Integer call() throws IOException {
        if (count != null && count < 0) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--count " + count
                    + " is negative; give the number of records to generate, e.g. --count 1000.");
        }
        if (keys < 1) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "--keys " + keys
                    + " must be at least 1, e.g. --keys 100.");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long started;
        try (EventLog log = where.openExisting();
             LogProducer producer = log.producer(ProducerConfig.defaults().withClientId("tributary-cli"))) {
            int partitions = log.admin().describeTopic(topic).partitionCount();
            if (partition != null && (partition < 0 || partition >= partitions)) {
                throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition
                        + " does not exist in topic '" + topic + "', which has partitions 0 to " + (partitions - 1)
                        + "; pick one of those or leave out --partition to choose by key.");
            }
            started = System.nanoTime();
            ProgressLine progress = new ProgressLine(err, Duration.ofSeconds(2), this::status);
            try {
                if (count != null) {
                    for (long i = 0; i < count && firstFailure.get() == null; i++) {
                        send(producer, out, "key-" + (i % keys), "value-" + i);
                    }
                } else {
                    readStdin(producer, out, err);
                }
                producer.flush();
                awaitCompletions();
            } finally {
                progress.stop();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        Throwable failure = firstFailure.get();
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            err.println("Produced " + Units.count(acknowledged) + " of " + Units.count(sent) + " records to '"
                    + topic + "'; " + Units.count(sent - acknowledged) + " failed.");
            if (cause instanceof TributaryException te) {
                err.println(ErrorReport.line(te));
                return ExitStatus.of(te);
            }
            err.println("Error: " + cause + " [INTERNAL]");
            return ExitStatus.FAILED;
        }
        // A rate over a handful of records measures start-up, not the log; only long runs get one.
        err.println("Produced " + Units.count(acknowledged) + " record" + (acknowledged == 1 ? "" : "s") + " to '"
                + topic + "' in " + Units.seconds(seconds) + (acknowledged < 10_000 ? "." : " ("
                + Units.rate(acknowledged / Math.max(seconds, 1e-9)) + " records/s)."));
        return ExitStatus.OK;
    }

    private void readStdin(LogProducer producer, PrintWriter out, PrintWriter err) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(parent.stdin(), StandardCharsets.UTF_8));
        long lineNumber = 0;
        String line;
        while ((line = in.readLine()) != null && firstFailure.get() == null) {
            lineNumber++;
            if (line.isEmpty()) {
                continue;
            }
            int tab = line.indexOf('\t');
            String key = tab < 0 ? null : line.substring(0, tab);
            String value = tab < 0 ? line : line.substring(tab + 1);
            try {
                send(producer, out, key == null || key.isEmpty() ? null : key, value);
            } catch (TributaryException e) {
                err.println("Stopped at input line " + lineNumber + "; the lines before it were sent.");
                throw e;
            }
        }
    }

    private void send(LogProducer producer, PrintWriter out, @Nullable String key, String value) {
        byte[] k = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        Record record = Record.of(k, v);
        CompletableFuture<AppendResult> ack = partition == null ? producer.append(topic, record)
                : producer.append(topic, partition, record);
        synchronized (inFlightLock) {
            sent++;
        }
        ack.whenComplete((result, failure) -> {
            if (failure == null && printAcks) {
                String line = RecordLines.text(result.partition(), result.offset(), k, v);
                // One write and a flush per ack: a reader sees every acknowledged record even if we die next.
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
            }
            if (failure != null) {
                firstFailure.compareAndSet(null, failure);
            }
            synchronized (inFlightLock) {
                completed++;
                if (failure == null) {
                    acknowledged++;
                }
                inFlightLock.notifyAll();
            }
        });
    }

    private void awaitCompletions() {
        synchronized (inFlightLock) {
            while (completed < sent) {
                try {
                    inFlightLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private String status() {
        synchronized (inFlightLock) {
            return "produce: sent " + Units.count(sent) + ", acknowledged " + Units.count(acknowledged)
                    + (count == null ? "" : " of " + Units.count(count));
        }
    }
}
