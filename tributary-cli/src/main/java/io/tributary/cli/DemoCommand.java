package io.tributary.cli;

import io.tributary.examples.DemoBackend;
import io.tributary.examples.DemoConfig;
import io.tributary.examples.DemoReport;
import io.tributary.examples.OrderFulfilmentDemo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tributary demo}: the order-fulfilment system on the whole platform, measured and checked. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = {LogDemoCommand.class, DemoQueryCommand.class},
        description = {"Run an event-driven order-fulfilment system on the whole platform and prove its guarantees.",
            "Orders are event-sourced in the event store and forwarded to the 'orders' topic; Payments charges each "
                + "order through an inbox and publishes the outcome through an outbox to 'payments'; a saga confirms "
                + "and ships, or cancels; a JDBC read model keeps status counts and revenue per customer. All events are "
                + "Avro with registered schemas; OrderPlaced moves to v2 midway. Some orders are poison (dead-lettered "
                + "to 'payments.dlq' with their error, then redriven after a fix) and the payment processor is killed and restarted mid-run.",
            "Then it prints throughput, placed-to-confirmed latency, the dead-letter entries and five checks; exits with 1 if a check fails, "
                + "naming the order and the rule. The data stays in --data-dir for 'tributary demo query'.",
            "The log engine's own demo is 'tributary demo log'."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary demo",
            "  tributary demo --orders 5000 --rate 1000 --partitions 8",
            "  tributary demo --backend kafka                     # an in-JVM Kafka broker",
            "  tributary demo --backend kafka --bootstrap 127.0.0.1:9092",
            "  tributary demo --jdbc-url jdbc:postgresql://127.0.0.1:5432/postgres --jdbc-user postgres",
            "  tributary demo query status                        # the read model, after a run",
            "  tributary demo log                                 # the log engine alone",
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--orders", paramLabel = "N", defaultValue = "" + DemoConfig.DEFAULT_ORDERS,
            description = "Orders to place (default: ${DEFAULT-VALUE}, about a minute on 2 cores).")
    long orders = DemoConfig.DEFAULT_ORDERS;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
            description = "Orders placed per second, open loop; 0 = as fast as the system takes them (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "Most place-order commands in flight at once (default: ${DEFAULT-VALUE}).")
    int maxInFlight = 256;

    @Option(names = "--partitions", paramLabel = "P", defaultValue = "4",
            description = "Partitions of the orders and payments topics (default: ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "embedded",
            description = "Where the topics live: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). The event store is always embedded.")
    DemoBackend backend = DemoBackend.EMBEDDED;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
            description = "An external Kafka for --backend kafka; without it an in-JVM broker is started.")
    Optional<String> bootstrap = Optional.empty();

    @Option(names = "--jdbc-url", paramLabel = "URL",
            description = "Database for payments and the read model (tables demo_*, dropped and recreated); "
                    + "default: embedded H2 in --data-dir.")
    Optional<String> jdbcUrl = Optional.empty();

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "User for --jdbc-url.")
    Optional<String> jdbcUser = Optional.empty();

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/demo",
            description = "Folder for the embedded log, event store and database; wiped at the start of a run "
                    + "(default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data/demo");

    @Option(names = "--poison-every", paramLabel = "N", defaultValue = "50",
            description = "Every N-th order is in a currency the payment handler cannot charge yet; 0 = none (default: ${DEFAULT-VALUE}).")
    int poisonEvery = 50;

    @Option(names = "--no-crash", negatable = false, description = "Do not kill and restart the payment processor.")
    boolean noCrash;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "Give up waiting for the flow to finish after this long; the checks then fail (default: ${DEFAULT-VALUE}).")
    Duration timeout = Duration.ofMinutes(10);

    @Option(names = "--json", description = "Print the report as one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        DemoConfig config = DemoConfig.defaults(dataDir).withOrders(orders).withRate(rate).withMaxInFlight(maxInFlight)
                .withPartitions(partitions).withBackend(backend).withBootstrap(bootstrap).withJdbc(jdbcUrl, jdbcUser)
                .withPoisonEvery(poisonEvery).withCrash(!noCrash).withTimeout(timeout);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DemoReport report = new OrderFulfilmentDemo(config, err, System.console() != null).run();
        report.lines().forEach(out::println);
        if (json) {
            out.println(report.json());
        }
        err.println(jdbcUrl.isPresent()
                ? "demo: the read model stays in the database; try 'tributary demo query status --jdbc-url <url>'"
                : "demo: the read model stays in " + dataDir + "; try 'tributary demo query status"
                        + (dataDir.equals(Path.of("data/demo")) ? "" : " --data-dir " + dataDir) + "'");
        return report.passed() ? ExitStatus.OK : ExitStatus.FAILED;
    }
}
