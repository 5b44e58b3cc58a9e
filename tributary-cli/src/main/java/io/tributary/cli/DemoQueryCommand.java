package io.tributary.cli;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.examples.DemoErrors;
import io.tributary.examples.OrderFulfilmentDemo;
import io.tributary.examples.readmodel.OrderSummaryQueries;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tributary demo query}: asks the demo's read model, after a run. */
@Command(name = "query", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Query the order-summary read model the last 'tributary demo' run left behind.",
            "WHAT is one of: status (orders per status), revenue (top customers), schemas (OrderPlaced per schema "
                + "version), order ID (one order)."},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tributary demo query status",
            "  tributary demo query revenue --top 10",
            "  tributary demo query order o0000042",
        })
final class DemoQueryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "status, revenue, schemas or order.")
    String what = "status";

    @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "The order id, for 'order'.")
    Optional<String> id = Optional.empty();

    @Option(names = "--top", paramLabel = "N", defaultValue = "10", description = "Customers to list for 'revenue' (default: ${DEFAULT-VALUE}).")
    int top = 10;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "data/demo",
            description = "The demo's data folder (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data/demo");

    @Option(names = "--jdbc-url", paramLabel = "URL", description = "The database the demo ran with, if not the embedded one.")
    Optional<String> jdbcUrl = Optional.empty();

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "User for --jdbc-url.")
    Optional<String> jdbcUser = Optional.empty();

    @Override
    public Integer call() throws Exception {
        if (jdbcUrl.isEmpty() && !Files.isDirectory(dataDir.resolve("db"))) {
            throw new NotFoundException(DemoErrors.DEMO_DATA_NOT_FOUND, "No demo data in " + dataDir.toAbsolutePath()
                    + "; run 'tributary demo' first (or pass the --data-dir it used)");
        }
        PrintWriter out = spec.commandLine().getOut();
        String url = jdbcUrl.orElse(OrderFulfilmentDemo.embeddedJdbcUrl(dataDir) + ";IFEXISTS=TRUE");
        try (HikariDataSource db = OrderFulfilmentDemo.dataSource(url, jdbcUser, 1)) {
            OrderSummaryQueries q = new OrderSummaryQueries(db, OrderFulfilmentDemo.TABLE_PREFIX);
            switch (what) {
                case "status" -> {
                    for (Map.Entry<String, Long> e : q.statusCounts().entrySet()) {
                        out.printf("%-10s %,10d%n", e.getKey(), e.getValue());
                    }
                }
                case "revenue" -> {
                    for (OrderSummaryQueries.CustomerRevenue c : q.topCustomers(top)) {
                        out.printf("%-8s %,6d orders %,16.2f%n", c.customerId(), c.shippedOrders(), c.revenueCents() / 100.0);
                    }
                }
                case "schemas" -> {
                    for (Map.Entry<Integer, Long> e : q.ordersBySchemaVersion().entrySet()) {
                        out.printf("OrderPlaced v%d %,10d%n", e.getKey(), e.getValue());
                    }
                }
                case "order" -> {
                    String orderId = id.orElseThrow(() -> new InvalidRequestException(ErrorCode.INVALID_ARGUMENT,
                            "'demo query order' needs the order id, e.g. 'tributary demo query order o0000042'"));
                    OrderSummaryQueries.OrderRow r = q.order(orderId).orElseThrow(() -> new NotFoundException(
                            DemoErrors.ORDER_NOT_FOUND, "Order '" + orderId + "' is not in the read model; ids "
                            + "look like o0000042 (see 'tributary demo query status' for how many there are)"));
                    out.printf("order %s  customer %s  amount %,.2f  status %s  version %d  OrderPlaced v%d  channel %s%n",
                            r.orderId(), r.customerId(), r.amountCents() / 100.0, r.status(), r.version(),
                            r.placedSchemaVersion(), r.salesChannel());
                }
                default -> throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Unknown query '" + what
                        + "'; use status, revenue, schemas or order <id>");
            }
        }
        return ExitStatus.OK;
    }
}
