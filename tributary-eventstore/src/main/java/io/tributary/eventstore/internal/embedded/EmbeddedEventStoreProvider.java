package io.tributary.eventstore.internal.embedded;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.spi.EventStoreProvider;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code tributary.eventstore.backend=embedded} (the default). Settings (prefix {@code tributary.eventstore.embedded.}):
 * {@code index-dir} (required), {@code topic}, {@code checkpoint-every}. The log itself is opened from the
 * {@code tributary.log.*} settings in the same map ({@link EventLogs#open}), and closed with the store.
 */
public final class EmbeddedEventStoreProvider implements EventStoreProvider {

    private static final String PREFIX = "tributary.eventstore.embedded.";
    private static final Set<String> KEYS = Set.of("index-dir", "topic", "checkpoint-every");

    @Override
    public String name() {
        return "embedded";
    }

    @Override
    public EventStore open(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        settings.keySet().stream().filter(k -> k.startsWith(PREFIX) && !KEYS.contains(k.substring(PREFIX.length())))
                .sorted().forEach(k -> problems.add("unknown setting '" + k + "' (known: index-dir, topic, checkpoint-every)"));
        String dir = settings.get(PREFIX + "index-dir");
        if (dir == null || dir.isBlank()) {
            problems.add(PREFIX + "index-dir is missing; set it to a local directory, e.g. ./data/eventstore-index");
        }
        int every = 10_000;
        try {
            every = Integer.parseInt(settings.getOrDefault(PREFIX + "checkpoint-every", "10000").trim());
        } catch (NumberFormatException e) {
            problems.add(PREFIX + "checkpoint-every must be a whole number (default 10000)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid event store settings: " + String.join("; ", problems));
        }
        EmbeddedEventStoreConfig config = EmbeddedEventStoreConfig.of(Path.of(dir))
                .withTopic(settings.getOrDefault(PREFIX + "topic", "tributary-eventstore"))
                .withCheckpointEveryRecords(every);
        EventLog log = EventLogs.open(settings);
        try {
            return EmbeddedEventStore.open(log, config, true);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }
}
