package io.tributary.log.internal;

import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.spi.EventLogProvider;
import java.util.Map;

/**
 * The {@code embedded} backend, found by {@link java.util.ServiceLoader}. Reads the
 * {@code tributary.log.embedded.*} settings ({@link EmbeddedLogConfig#fromSettings}); unknown or bad ones are all
 * reported at once. Stateless.
 */
public final class EmbeddedLogProvider implements EventLogProvider {

    @Override
    public String name() {
        return "embedded";
    }

    @Override
    public EventLog open(Map<String, String> settings) {
        return EmbeddedEventLog.open(EmbeddedLogConfig.fromSettings(settings));
    }
}
