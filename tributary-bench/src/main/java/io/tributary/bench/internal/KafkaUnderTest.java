package io.tributary.bench.internal;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** The Kafka broker a run measures: one given by address, or one started in this JVM for the run. */
public final class KafkaUnderTest implements AutoCloseable {

    private final String bootstrapServers;
    private final @Nullable AutoCloseable owned;

    private KafkaUnderTest(String bootstrapServers, @Nullable AutoCloseable owned) {
        this.bootstrapServers = bootstrapServers;
        this.owned = owned;
    }

    /** Uses {@code bootstrapServers} if given, else starts a broker in this JVM with its data under {@code dir}. */
    public static KafkaUnderTest open(@Nullable String bootstrapServers, Path dir) {
        if (bootstrapServers != null) {
            return new KafkaUnderTest(bootstrapServers, null);
        }
        throw new IllegalStateException("The in-JVM Kafka broker (tributary-testbroker) is not on this branch yet; "
                + "pass --bootstrap-servers HOST:PORT of a running broker");
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        if (owned != null) {
            owned.close();
        }
    }
}
