package io.tributary.schema.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * A store held in memory only: for a registry whose state may be lost with the process (tests, demos). Keeps every
 * entry in order, like an uncompacted log, so replaying it into a second registry gives the same state.
 */
public final class InMemoryRegistryStore implements RegistryStore {

    private record Entry(byte[] key, byte @Nullable [] value) {
    }

    private final List<Entry> entries = new ArrayList<>();

    @Override
    public synchronized void replay(BiConsumer<byte[], byte @Nullable []> sink) {
        for (Entry e : List.copyOf(entries)) {
            sink.accept(e.key(), e.value());
        }
    }

    @Override
    public synchronized void put(byte[] key, byte @Nullable [] value) {
        entries.add(new Entry(key.clone(), value == null ? null : value.clone()));
    }

    @Override
    public String describe() {
        return "in-memory store";
    }

    @Override
    public void close() {
    }
}
