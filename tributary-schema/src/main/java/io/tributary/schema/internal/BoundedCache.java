package io.tributary.schema.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A concurrent map of values that are costly to build and cheap to rebuild, holding about {@code maxEntries} at most
 * (threads publishing new keys at once may each add one past it before the next publish drops them).
 * When a new entry would go past the bound, every entry is dropped first: the caches it serves (schema ids, Avro
 * writers and readers) see a handful of schemas in practice, so the bound only guards against a stream of distinct
 * schemas pinning memory, and a rare rebuild after a drop is cheaper than tracking recency on every hit.
 *
 * <p>Thread-safe; lookups do not lock. Two threads missing the same key at once may both build a value; one of them is
 * kept and both callers get that one, so a value must be interchangeable with any other built for the same key.
 */
public final class BoundedCache<K, V> {

    private final int maxEntries;
    private final Map<K, V> map = new ConcurrentHashMap<>();

    public BoundedCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /** The cached value of {@code key}, else {@code build}'s (built outside any lock, then cached). */
    public V get(K key, Function<? super K, ? extends V> build) {
        V known = map.get(key);
        if (known != null) {
            return known;
        }
        V built = build.apply(key);
        return publish(key, built);
    }

    /**
     * Caches {@code value} for {@code key} unless another thread got there first; returns the value that is cached.
     * Going through the map is what makes whatever the value's builder wrote visible to every thread that reads it.
     */
    public V publish(K key, V value) {
        // Publishing a key already held (a thread that lost the race to build it) adds nothing, so it must not drop
        // every other entry. Threads publishing new keys at once may each pass the check: the bound is approximate.
        if (!map.containsKey(key) && map.size() >= maxEntries) {
            map.clear();
        }
        V raced = map.putIfAbsent(key, value);
        return raced == null ? value : raced;
    }

    /** The cached value of {@code key} if there is one; never builds. */
    public @org.jspecify.annotations.Nullable V peek(K key) {
        return map.get(key);
    }

    /** Entries held now (about {@code maxEntries} at most, see the class comment). */
    public int size() {
        return map.size();
    }
}
