package io.tributary.eventstore.internal.postgres;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.PositionStrategy;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.spi.EventStoreProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code tributary.eventstore.backend=postgres}. Settings (prefix {@code tributary.eventstore.postgres.}):
 * {@code url} (required), {@code user}, {@code password}, {@code schema}, {@code pool-size},
 * {@code position-strategy} ({@code transaction_id} or {@code serialised}), {@code create-schema}.
 */
public final class PostgresEventStoreProvider implements EventStoreProvider {

    private static final String PREFIX = "tributary.eventstore.postgres.";
    private static final Set<String> KEYS = Set.of("url", "user", "password", "schema", "pool-size",
            "position-strategy", "create-schema");

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public EventStore open(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        settings.keySet().stream().filter(k -> k.startsWith(PREFIX) && !KEYS.contains(k.substring(PREFIX.length())))
                .sorted().forEach(k -> problems.add("unknown setting '" + k + "' (known: " + PREFIX + String.join(", " + PREFIX, KEYS.stream().sorted().toList()) + ")"));
        String url = settings.get(PREFIX + "url");
        if (url == null) {
            problems.add(PREFIX + "url is missing; set it, e.g. jdbc:postgresql://127.0.0.1:5432/app");
        }
        int pool = 10;
        try {
            pool = Integer.parseInt(settings.getOrDefault(PREFIX + "pool-size", "10").trim());
        } catch (NumberFormatException e) {
            problems.add(PREFIX + "pool-size must be a whole number (default 10)");
        }
        PositionStrategy strategy = PositionStrategy.TRANSACTION_ID;
        try {
            strategy = PositionStrategy.valueOf(settings.getOrDefault(PREFIX + "position-strategy", "transaction_id")
                    .trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            problems.add(PREFIX + "position-strategy must be 'transaction_id' or 'serialised'");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid event store settings: " + String.join("; ", problems));
        }
        PostgresEventStoreConfig config = new PostgresEventStoreConfig(url, settings.getOrDefault(PREFIX + "user", "postgres"),
                settings.getOrDefault(PREFIX + "password", ""), settings.getOrDefault(PREFIX + "schema", "tributary_es"),
                pool, strategy, Boolean.parseBoolean(settings.getOrDefault(PREFIX + "create-schema", "true")));
        return PostgresEventStore.open(config);
    }
}
