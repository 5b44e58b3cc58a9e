package io.tributary.cli;

import io.tributary.core.ErrorCode;
import io.tributary.core.NotFoundException;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * Where the log is: the options every {@code log} subcommand shares, turned into the settings
 * {@link EventLogs#open(Map)} takes. The same commands run against the embedded engine (a folder) or Kafka (a
 * bootstrap address).
 */
final class LogOptions {

    /** The embedded engine's setting for its data folder. */
    static final String EMBEDDED_DATA_DIR = EmbeddedLogConfig.DATA_DIR;
    /** The Kafka backend's setting for its brokers. */
    static final String KAFKA_BOOTSTRAP = "tributary.log.kafka.bootstrap-servers";

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./data",
            description = "Folder of the embedded log (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("./data");

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Log backend: embedded (default) or kafka (needs --bootstrap).")
    @Nullable String backend;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers; implies --backend kafka.")
    @Nullable String bootstrap;

    @Option(names = "--setting", paramLabel = "KEY=VALUE",
            description = "Any other backend setting (repeatable), e.g. --setting tributary.log.embedded.repair=true "
                    + "to open a log that has corruption before its recovery point.")
    Map<String, String> extra = new LinkedHashMap<>();

    /** The settings for {@link EventLogs#open(Map)}. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>(extra);
        String chosen = backend != null ? backend : bootstrap != null ? "kafka" : null;
        if (chosen != null) {
            settings.put(EventLogs.BACKEND, chosen);
        }
        if (bootstrap != null) {
            settings.put(KAFKA_BOOTSTRAP, bootstrap);
        }
        if (isEmbedded(settings)) {
            settings.putIfAbsent(EMBEDDED_DATA_DIR, dataDir.toString());
        }
        return settings;
    }

    /** Opens the log, e.g. to create a topic; an embedded log's folder is created if missing. */
    EventLog open() {
        return EventLogs.open(settings());
    }

    /**
     * Opens a log that must already hold data: for an embedded log whose folder does not exist, says so instead of
     * creating an empty log in a mistyped folder.
     */
    EventLog openExisting() {
        Map<String, String> settings = settings();
        if (isEmbedded(settings)) {
            Path dir = Path.of(settings.get(EMBEDDED_DATA_DIR));
            if (!Files.isDirectory(dir)) {
                throw new NotFoundException(ErrorCode.of("DATA_DIR_NOT_FOUND"), "No log at '" + dir.toAbsolutePath()
                        + "': the folder does not exist; pass --data-dir with the folder you created topics in, or "
                        + "create a topic first with 'tributary log create-topic <name> --data-dir " + dir + "'.");
            }
        }
        return EventLogs.open(settings);
    }

    private static boolean isEmbedded(Map<String, String> settings) {
        return settings.getOrDefault(EventLogs.BACKEND, EventLogs.DEFAULT_BACKEND).trim()
                .equals(EventLogs.DEFAULT_BACKEND);
    }
}
