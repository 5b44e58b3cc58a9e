package io.tributary.examples;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of one demo run. Immutable; every problem is reported at once ({@code INVALID_CONFIG}).
 *
 * @param orders        orders to place (default {@value #DEFAULT_ORDERS}, about a minute on 2 cores)
 * @param rate          orders placed per second, open loop; 0 = as fast as the platform takes them, bounded by
 *                      {@code maxInFlight} (default 0)
 * @param maxInFlight   most place-order commands in flight at once (default 256): the driver's back-pressure
 * @param partitions    partitions of the {@code orders} and {@code payments} topics (default 4)
 * @param backend       where the topics live (default {@link DemoBackend#EMBEDDED})
 * @param bootstrap     an external Kafka for {@link DemoBackend#KAFKA}; empty = start an in-JVM broker
 * @param jdbcUrl       the payments and read-model database; empty = embedded H2 in {@code dataDir}
 * @param jdbcUser      user for {@code jdbcUrl} (default empty: the driver's default)
 * @param dataDir       the folder for the embedded log, event store and H2; wiped at the start of a run
 * @param poisonEvery   every n-th order is in a currency the payment handler cannot charge yet (default 50 = 2%;
 *                      0 = none)
 * @param customers     distinct customers (default 1000)
 * @param crash         kill and restart the payment processor when a third of the orders are paid (default true)
 * @param timeout       give up when the flow has not finished by then (default 10 min)
 */
public record DemoConfig(long orders, int rate, int maxInFlight, int partitions, DemoBackend backend,
                         Optional<String> bootstrap, Optional<String> jdbcUrl, Optional<String> jdbcUser, Path dataDir,
                         int poisonEvery, int customers, boolean crash, Duration timeout) {

    /**
     * Sized to take about a minute on the 2-core reference machine: 10,000 orders took 88 s there while it was shared
     * at load average 25 (docs/benchmarks.md).
     */
    public static final long DEFAULT_ORDERS = 10_000;

    public DemoConfig {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(jdbcUser, "jdbcUser");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(timeout, "timeout");
        List<String> problems = new ArrayList<>();
        if (orders < 10) {
            problems.add("orders=" + orders + " must be at least 10 (default " + DEFAULT_ORDERS + ")");
        }
        if (rate < 0) {
            problems.add("rate=" + rate + " must be 0 (unlimited) or more orders per second");
        }
        if (maxInFlight < 1) {
            problems.add("maxInFlight=" + maxInFlight + " must be at least 1 (default 256)");
        }
        if (partitions < 1 || partitions > 256) {
            problems.add("partitions=" + partitions + " must be between 1 and 256 (default 4)");
        }
        if (poisonEvery < 0 || poisonEvery == 1) {
            problems.add("poisonEvery=" + poisonEvery + " must be 0 (no poison orders) or at least 2 (default 50)");
        }
        if (customers < 1) {
            problems.add("customers=" + customers + " must be at least 1 (default 1000)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            problems.add("timeout=" + timeout + " must be positive (default 10 min)");
        }
        if (bootstrap.isPresent() && backend != DemoBackend.KAFKA) {
            problems.add("bootstrap is set but backend is " + backend + "; add --backend kafka or drop --bootstrap");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid demo settings: "
                    + String.join("; ", problems));
        }
    }

    /** The defaults, with data in {@code dataDir}. */
    public static DemoConfig defaults(Path dataDir) {
        return new DemoConfig(DEFAULT_ORDERS, 0, 256, 4, DemoBackend.EMBEDDED, Optional.empty(), Optional.empty(),
                Optional.empty(), dataDir, 50, 1000, true, Duration.ofMinutes(10));
    }

    public DemoConfig withOrders(long v) {
        return new DemoConfig(v, rate, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withRate(int v) {
        return new DemoConfig(orders, v, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withMaxInFlight(int v) {
        return new DemoConfig(orders, rate, v, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withPartitions(int v) {
        return new DemoConfig(orders, rate, maxInFlight, v, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withBackend(DemoBackend v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, v, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withBootstrap(Optional<String> v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, v, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withJdbc(Optional<String> url, Optional<String> user) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, bootstrap, url, user, dataDir, poisonEvery, customers, crash, timeout);
    }

    public DemoConfig withPoisonEvery(int v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, v, customers, crash, timeout);
    }

    public DemoConfig withCustomers(int v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, v, crash, timeout);
    }

    public DemoConfig withCrash(boolean v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, v, timeout);
    }

    public DemoConfig withTimeout(Duration v) {
        return new DemoConfig(orders, rate, maxInFlight, partitions, backend, bootstrap, jdbcUrl, jdbcUser, dataDir, poisonEvery, customers, crash, v);
    }
}
