package io.tributary.kafka;

import io.tributary.kafka.internal.KafkaEventLog;
import io.tributary.log.EventLog;
import io.tributary.log.spi.EventLogProvider;
import java.util.Map;

/**
 * The {@code kafka} backend: {@code tributary.log.backend=kafka}. Reads {@link KafkaLogConfig} from the settings.
 * Stateless and thread-safe.
 */
public final class KafkaEventLogProvider implements EventLogProvider {

    public static final String NAME = "kafka";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public EventLog open(Map<String, String> settings) {
        return open(KafkaLogConfig.fromSettings(settings));
    }

    /**
     * Opens a log on the cluster. Checks that a broker answers (within the admin client's
     * {@code default.api.timeout.ms}), so a wrong address fails here with {@code BROKER_UNREACHABLE}.
     */
    public static EventLog open(KafkaLogConfig config) {
        return KafkaEventLog.open(config);
    }
}
