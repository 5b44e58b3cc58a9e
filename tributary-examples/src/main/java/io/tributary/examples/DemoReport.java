package io.tributary.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.examples.readmodel.OrderSummaryQueries;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a demo run measured and whether every check passed. Immutable.
 *
 * @param backend              where the topics lived ({@code embedded}, {@code kafka (in-JVM broker)}, ...)
 * @param database             the payments / read-model database (product name)
 * @param partitions           partitions per topic
 * @param ordersPlaced         orders the event store acknowledged
 * @param placeFailures        place commands that failed (not acknowledged; not part of the checks)
 * @param flowSeconds          from the first order placed until every order reached a final state, redrive excluded
 * @param ordersPerSecond      {@code ordersPlaced / flowSeconds}
 * @param events               events written: order events in the event store plus payment events published
 * @param eventsPerSecond      {@code events / flowSeconds}
 * @param latencyP50Ms         order placed to order confirmed over every order of the run (warm-up included), median
 *                             (ms); redriven orders are not counted. With {@code --rate} an order's latency counts
 *                             from when the schedule said it was due, so time it waited for the driver counts too
 *                             (the order still records when it was really placed)
 * @param latencyP99Ms         99th percentile (ms), every order
 * @param latencyMaxMs         maximum (ms), every order
 * @param shipped              orders shipped
 * @param cancelled            orders cancelled (payment declined)
 * @param deadLettered         poison orders the payment handler rejected and the runtime dead-lettered (open
 *                             entries found in the dead-letter queue before the redrive)
 * @param dlqTopic             the payment processor's dead-letter topic
 * @param dlqExampleError      one dead entry's error ({@code ExceptionClass: message}); empty if none
 * @param redriven             dead-lettered orders the redrive after the fix charged or declined
 * @param dlqLeft              entries still open in the dead-letter queue at the end (0 when the redrive worked)
 * @param redriveSeconds       how long the redrive took, until those orders were final
 * @param crashedEvents        orders whose payment call committed them to the database and then "crashed" before
 *                             their offsets were committed (0 if the crash was off)
 * @param inboxDuplicates      redelivered order events the payments inbox recognised and skipped
 * @param sagaRepeats          redelivered payment events that changed no order
 * @param readModelSkipped     redelivered order events the read model recognised by version and skipped
 * @param schemaVersions       {@code OrderPlaced} events per schema version they were written with
 * @param statusCounts         orders per status in the read model
 * @param topCustomers         the read model's top customers by revenue
 * @param checks               every rule's result
 * @param steadyState          the same latency over the orders placed after the warm-up only
 */
public record DemoReport(String backend, String database, int partitions, long ordersPlaced, long placeFailures,
                         double flowSeconds, double ordersPerSecond, long events, double eventsPerSecond,
                         double latencyP50Ms, double latencyP99Ms, double latencyMaxMs, long shipped, long cancelled,
                         long deadLettered, String dlqTopic, String dlqExampleError, long redriven, long dlqLeft,
                         double redriveSeconds, long crashedEvents, long inboxDuplicates,
                         long sagaRepeats, long readModelSkipped, Map<Integer, Long> schemaVersions,
                         Map<String, Long> statusCounts, List<OrderSummaryQueries.CustomerRevenue> topCustomers,
                         List<DemoChecks.CheckResult> checks, SteadyState steadyState) {

    /**
     * Placed-to-confirmed latency without the start of the run: the orders placed before {@code afterOrders} orders
     * were placed are left out. The start of a run is slow for reasons a long-running service does not have (the JIT
     * compiling on the same two cores, first queries and schema look-ups, every thread pool and cache cold), and it
     * fills the first percent of a short run: the whole-run figures show it, these show the flow once it runs warm.
     *
     * @param afterOrders   orders placed during the warm-up (their latency is only in the whole-run figures)
     * @param warmupSeconds how long the warm-up lasted: from when the first order's latency started to when that of
     *                      order number {@code afterOrders} did (under {@code --rate}, when they were due), so the
     *                      window measured here is every order from that second of the run on; 0 if the run never
     *                      got past the warm-up
     * @param orders        orders measured here (confirmed; cancelled and redriven orders are not counted)
     * @param p50Ms         median (ms)
     * @param p99Ms         99th percentile (ms)
     * @param maxMs         maximum (ms)
     */
    public record SteadyState(long afterOrders, double warmupSeconds, long orders, double p50Ms, double p99Ms,
                              double maxMs) {
        public SteadyState {
            if (afterOrders < 0 || orders < 0 || !(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
                throw new IllegalArgumentException("afterOrders=" + afterOrders + ", warmupSeconds=" + warmupSeconds
                        + " and orders=" + orders + " must not be negative (nor warmupSeconds infinite)");
            }
        }
    }

    public DemoReport {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(dlqTopic, "dlqTopic");
        Objects.requireNonNull(dlqExampleError, "dlqExampleError");
        schemaVersions = Map.copyOf(schemaVersions);
        statusCounts = Map.copyOf(statusCounts);
        topCustomers = List.copyOf(topCustomers);
        checks = List.copyOf(checks);
        Objects.requireNonNull(steadyState, "steadyState");
    }

    /** Whether every check passed. */
    public boolean passed() {
        return checks.stream().allMatch(DemoChecks.CheckResult::passed);
    }

    /** The report for people. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("");
        out.add("Order fulfilment on Tributary: " + backend + " topics (" + partitions + " partitions), embedded event "
                + "store, " + database + " for payments and the read model");
        out.add(String.format("  orders         %,d placed, %,d shipped, %,d cancelled (payment declined)%s", ordersPlaced,
                shipped, cancelled, placeFailures == 0 ? "" : String.format(", %,d place commands failed", placeFailures)));
        out.add(String.format("  throughput     %,.0f orders/s, %,.0f events/s (%,d events in %.1f s, redrive excluded)",
                ordersPerSecond, eventsPerSecond, events, flowSeconds));
        out.add(String.format("  latency        placed -> confirmed: p50 %.1f ms, p99 %.1f ms, max %.1f ms (every order)",
                latencyP50Ms, latencyP99Ms, latencyMaxMs));
        out.add(steadyState.orders() == 0 ? "                 (no order confirmed after the warm-up)"
                : String.format("                 p50 %.1f ms, p99 %.1f ms, max %.1f ms after the warm-up (%,d orders placed "
                        + "after the first %,d, i.e. from %.1f s into the run)", steadyState.p50Ms(),
                        steadyState.p99Ms(), steadyState.maxMs(), steadyState.orders(), steadyState.afterOrders(),
                        steadyState.warmupSeconds()));
        out.add(String.format("  dead letters   %,d poison orders in %s, %,d redriven after the fix (%.1f s), %,d still "
                + "open", deadLettered, dlqTopic, redriven, redriveSeconds, dlqLeft));
        if (!dlqExampleError.isEmpty()) {
            out.add("                 e.g. " + (dlqExampleError.length() > 160 ? dlqExampleError.substring(0, 157) + "..."
                    : dlqExampleError));
        }
        out.add(crashedEvents == 0 && inboxDuplicates == 0 ? "  crash          none"
                : String.format("  crash          payment processor killed and restarted: %,d orders' calls died right "
                        + "after their database commit; %,d redelivered events skipped by the inbox", crashedEvents,
                        inboxDuplicates));
        out.add(String.format("  redeliveries   %,d payment events repeated to the saga, %,d order events to the read model "
                + "(all absorbed)", sagaRepeats, readModelSkipped));
        StringBuilder sv = new StringBuilder();
        schemaVersions.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                sv.append(sv.isEmpty() ? "" : ", ").append(String.format("v%d: %,d", e.getKey(), e.getValue())));
        out.add("  schemas        OrderPlaced written as " + sv + " (v2 registered midway; consumers kept running)");
        StringBuilder sc = new StringBuilder();
        statusCounts.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                sc.append(sc.isEmpty() ? "" : ", ").append(String.format("%s %,d", e.getKey(), e.getValue())));
        out.add("  read model     " + sc);
        for (OrderSummaryQueries.CustomerRevenue c : topCustomers) {
            out.add(String.format("                 %-8s %,5d orders  %,14.2f", c.customerId(), c.shippedOrders(),
                    c.revenueCents() / 100.0));
        }
        out.add("Checks");
        for (DemoChecks.CheckResult r : checks) {
            out.add(String.format("  %-4s %-42s %s", r.passed() ? "ok" : "FAIL", r.rule().description(),
                    r.passed() ? "" : r.violations() + " violation(s) of " + r.rule()));
            for (String e : r.examples()) {
                out.add("         " + e + " [" + r.rule() + "]");
            }
        }
        out.add(passed() ? "All checks passed." : "A check FAILED: see above for the order and the rule.");
        return out;
    }

    /** The report as one JSON object. */
    public String json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backend);
        m.put("database", database);
        m.put("partitions", partitions);
        m.put("ordersPlaced", ordersPlaced);
        m.put("placeFailures", placeFailures);
        m.put("flowSeconds", flowSeconds);
        m.put("ordersPerSecond", ordersPerSecond);
        m.put("events", events);
        m.put("eventsPerSecond", eventsPerSecond);
        Map<String, Double> latency = new LinkedHashMap<>();
        latency.put("p50", latencyP50Ms);
        latency.put("p99", latencyP99Ms);
        latency.put("max", latencyMaxMs);
        m.put("placedToConfirmedLatencyMs", latency);
        Map<String, Number> steady = new LinkedHashMap<>();
        steady.put("afterOrders", steadyState.afterOrders());
        steady.put("warmupSeconds", steadyState.warmupSeconds());
        steady.put("orders", steadyState.orders());
        steady.put("p50", steadyState.p50Ms());
        steady.put("p99", steadyState.p99Ms());
        steady.put("max", steadyState.maxMs());
        m.put("steadyStateLatencyMs", steady);
        m.put("shipped", shipped);
        m.put("cancelled", cancelled);
        m.put("deadLettered", deadLettered);
        m.put("dlqTopic", dlqTopic);
        m.put("dlqExampleError", dlqExampleError);
        m.put("redriven", redriven);
        m.put("dlqLeft", dlqLeft);
        m.put("redriveSeconds", redriveSeconds);
        m.put("crashedEvents", crashedEvents);
        m.put("inboxDuplicates", inboxDuplicates);
        m.put("sagaRepeats", sagaRepeats);
        m.put("readModelSkipped", readModelSkipped);
        Map<String, Long> versions = new LinkedHashMap<>();
        schemaVersions.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> versions.put("v" + e.getKey(), e.getValue()));
        m.put("orderPlacedSchemaVersions", versions);
        m.put("statusCounts", statusCounts);
        List<Map<String, Object>> checkList = new ArrayList<>();
        for (DemoChecks.CheckResult r : checks) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("rule", r.rule().name());
            c.put("passed", r.passed());
            c.put("violations", r.violations());
            c.put("examples", r.examples());
            checkList.add(c);
        }
        m.put("checks", checkList);
        m.put("passed", passed());
        try {
            return new ObjectMapper().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the demo report as JSON", e);
        }
    }
}
