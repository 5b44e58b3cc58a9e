package io.tributary.bench.internal;

import io.tributary.log.EventLogs;
import java.nio.file.Path;
import java.util.Map;

/** The settings that open the embedded engine on a data folder. */
public final class EmbeddedSettings {

    /** The embedded engine's data folder setting. */
    public static final String DATA_DIR = io.tributary.log.EmbeddedLogConfig.DATA_DIR;

    private EmbeddedSettings() {
    }

    public static Map<String, String> forDir(Path dir) {
        return Map.of(EventLogs.BACKEND, "embedded", DATA_DIR, dir.toAbsolutePath().toString());
    }
}
