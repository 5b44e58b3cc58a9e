package io.tributary.schema.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedCacheTest {

    private final BoundedCache<String, String> cache = new BoundedCache<>(3);

    private void fill() {
        cache.publish("a", "A");
        cache.publish("b", "B");
        cache.publish("c", "C");
    }

    @Test
    void aNewKeyPublishedWhenFullDropsEveryEntryAndIsKept() {
        fill();

        assertThat(cache.publish("d", "D")).isEqualTo("D");

        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.peek("a")).isNull();
        assertThat(cache.peek("d")).isEqualTo("D");
    }

    @Test
    void aKeyAlreadyHeldPublishedAgainWhenFullKeepsEveryEntry() {
        fill();

        assertThat(cache.publish("a", "A built twice")).as("the value already cached wins").isEqualTo("A");

        assertThat(cache.size()).isEqualTo(3);
        assertThat(cache.peek("b")).isEqualTo("B");
        assertThat(cache.peek("c")).isEqualTo("C");
    }

    @Test
    void anEntryDroppedWhenFullIsRebuiltOnItsNextGetAndThenServedFromTheCache() {
        AtomicInteger builds = new AtomicInteger();
        fill();
        cache.publish("d", "D");

        assertThat(cache.get("a", k -> k.toUpperCase() + builds.incrementAndGet())).isEqualTo("A1");
        assertThat(cache.get("a", k -> k.toUpperCase() + builds.incrementAndGet())).isEqualTo("A1");
        assertThat(builds).hasValue(1);
        assertThat(cache.size()).isEqualTo(2);
    }
}
