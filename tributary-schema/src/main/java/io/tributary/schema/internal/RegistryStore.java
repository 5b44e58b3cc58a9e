package io.tributary.schema.internal;

import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Where the registry's state is kept: an ordered key/value log with last-value-wins per key, as a compacted topic.
 * The registry is its single writer.
 *
 * <p>Keys and values are JSON documents ({@link RegistryRecords}); a {@code null} value is a tombstone that deletes
 * the key. Implementations need not be thread-safe: the registry calls them under its write lock.
 */
public interface RegistryStore extends AutoCloseable {

    /** Hands every stored entry, oldest first, to {@code sink}; returns once the end of the store is reached. */
    void replay(BiConsumer<byte[], byte @Nullable []> sink);

    /** Stores one entry and returns once it is durable; throws a {@link io.tributary.core.TributaryException} if not. */
    void put(byte[] key, byte @Nullable [] value);

    /** A short description for logs and errors, e.g. the topic name. */
    String describe();

    @Override
    void close();
}
