package io.tributary.log.internal;

import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import io.tributary.log.internal.group.EmbeddedGroups;
import io.tributary.log.internal.storage.EmbeddedProducer;
import io.tributary.log.internal.storage.EmbeddedStorage;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The embedded engine as an {@link EventLog}: the storage side ({@link EmbeddedStorage}) wired to the consumer side
 * ({@link EmbeddedGroups}). Thread-safe. Closing closes every producer (after flushing it), then the consumer side,
 * then the storage (syncing every partition and writing clean recovery points).
 */
public final class EmbeddedEventLog implements EventLog {

    private static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(Capability.CONSUMER_GROUPS,
            Capability.TIMESTAMP_SEEK, Capability.RETENTION, Capability.COMPACTION, Capability.DURABILITY_MODES));

    private final EmbeddedStorage storage;
    private final ConsumerSide consumers;
    private final EmbeddedAdmin admin;
    private final Set<LogProducer> producers = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    EmbeddedEventLog(EmbeddedStorage storage, Function<PartitionReads, ConsumerSide> consumerSide) {
        this.storage = storage;
        this.consumers = consumerSide.apply(storage);
        this.admin = new EmbeddedAdmin(storage, consumers);
    }

    /** Opens the storage in {@code config.dataDir()} and the consumer side in its {@code __groups} folder. */
    public static EmbeddedEventLog open(EmbeddedLogConfig config) {
        EmbeddedStorage storage = EmbeddedStorage.open(config);
        try {
            return new EmbeddedEventLog(storage, reads -> new EmbeddedGroups(reads, config.dataDir().resolve("__groups")));
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    /** For tests of the storage side alone: the consumer side is whatever {@code consumerSide} builds. */
    static EmbeddedEventLog open(EmbeddedLogConfig config, Function<PartitionReads, ConsumerSide> consumerSide) {
        return new EmbeddedEventLog(EmbeddedStorage.open(config), consumerSide);
    }

    /** The storage side (for tools and benchmarks that read partitions directly). */
    public EmbeddedStorage storage() {
        return storage;
    }

    @Override
    public String backend() {
        return "embedded";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public LogAdmin admin() {
        return admin;
    }

    @Override
    public LogProducer producer(ProducerConfig config) {
        EmbeddedProducer[] self = new EmbeddedProducer[1];
        self[0] = new EmbeddedProducer(storage, config, () -> producers.remove(self[0]));
        producers.add(self[0]);
        return self[0];
    }

    @Override
    public LogConsumer consumer(ConsumerConfig config) {
        return consumers.newConsumer(config);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (LogProducer p : producers.toArray(new LogProducer[0])) {
            p.close();
        }
        try {
            consumers.close();
        } finally {
            storage.close();
        }
    }
}
