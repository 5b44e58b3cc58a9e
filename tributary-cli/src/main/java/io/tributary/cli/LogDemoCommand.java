package io.tributary.cli;

import io.tributary.cli.internal.DeliveryFault;
import io.tributary.cli.internal.DemoReport;
import io.tributary.cli.internal.DemoSettings;
import io.tributary.cli.internal.DemoWorkload;
import io.tributary.log.Durability;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tributary demo log}: the embedded log end to end, measured and checked. */
@Command(name = "log", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the embedded log end to end, measured and checked for exactly-once, in-order delivery.",
            "In a temporary folder: create a topic, produce events from several threads (each key's events carry a sequence number), "
                + "consume them in a consumer group, then print throughput, latency percentiles and a check that "
                + "every event arrived exactly once and in order per key. Exits with 1 if the check fails."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary demo log",
            "  tributary demo log --events 100000 --partitions 4 --json",
            "  tributary demo log --events 10000 --inject-fault duplicate   # watch the check fail",
        })
final class LogDemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--events", paramLabel = "N", defaultValue = "1000000", description = "Events to produce (default: ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "8", description = "Partitions of the demo topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--producers", paramLabel = "N", defaultValue = "4", description = "Producer threads (default: ${DEFAULT-VALUE}).")
    int producers;

    @Option(names = "--consumers", paramLabel = "N", defaultValue = "4", description = "Consumers in the group (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--keys", paramLabel = "N", defaultValue = "10000", description = "Distinct keys (entity ids) (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100", description = "Bytes per value, at least 16 (default: ${DEFAULT-VALUE}).")
    int valueSize;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "1000",
            description = "Unacknowledged appends each producer thread allows before it waits; fewer lowers "
                    + "latency, more raises throughput (default: ${DEFAULT-VALUE}).")
    int maxInFlight = 1000;

    @Option(names = "--fsync", paramLabel = "MODE", defaultValue = "always",
            description = "The topic's durability: always (ack after fsync, shared by concurrent appends), "
                    + "interval:<ms>, or never (default: ${DEFAULT-VALUE}).")
    String fsync = "always";

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "Fail if not every event is consumed by then (default: ${DEFAULT-VALUE}).")
    Duration timeout = Duration.ofMinutes(5);

    @Option(names = "--inject-fault", paramLabel = "FAULT", defaultValue = "none",
            description = "Tamper with delivery once, to see the check catch it: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DeliveryFault fault = DeliveryFault.NONE;

    @Option(names = "--keep-data", description = "Keep the temporary data folder and print where it is.")
    boolean keepData;

    @Option(names = "--json", description = "Print the report as one JSON object (figures with name, unit, value).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        DemoSettings settings = new DemoSettings(events, partitions, producers, consumers, keys, valueSize,
                Durability.parse(fsync), maxInFlight, timeout, fault);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = Files.createTempDirectory("tributary-demo-");
        DemoReport report;
        try {
            err.println("demo: " + String.format("%,d", events) + " events into the embedded log at " + dir + " ...");
            err.flush();
            try (EventLog log = EventLogs.open(Map.of(EventLogs.BACKEND, EventLogs.DEFAULT_BACKEND,
                    LogOptions.EMBEDDED_DATA_DIR, dir.toString()))) {
                report = new DemoWorkload(settings).run(log, err);
            }
        } finally {
            if (keepData) {
                err.println("demo: data kept in " + dir);
            } else {
                deleteRecursively(dir);
            }
        }
        if (json) {
            out.println(report.json());
        } else {
            report.lines().forEach(out::println);
        }
        return report.passed() ? ExitStatus.OK : ExitStatus.FAILED;
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
