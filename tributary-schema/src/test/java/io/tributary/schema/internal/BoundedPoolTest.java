package io.tributary.schema.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedPoolTest {

    private final BoundedPool<Object> pool = new BoundedPool<>(2, Object::new);

    @Test
    void anObjectGivenBackWhenEverySlotIsFullIsDropped() {
        Object first = pool.take();
        Object second = pool.take();
        Object third = pool.take();
        assertThat(pool.made()).isEqualTo(3);

        pool.give(first);
        pool.give(second);
        pool.give(third);

        assertThat(pool.idle()).isEqualTo(2);
        List<Object> lent = new ArrayList<>(List.of(pool.take(), pool.take()));
        assertThat(lent).containsExactlyInAnyOrder(first, second);
        assertThat(pool.take()).as("the dropped one is gone: a new one is made").isNotSameAs(third);
        assertThat(pool.made()).isEqualTo(4);
    }

    @Test
    void anObjectGivenBackIsLentAgainInsteadOfMakingAnother() {
        Object taken = pool.take();
        pool.give(taken);

        assertThat(pool.take()).isSameAs(taken);
        assertThat(pool.made()).isEqualTo(1);
        assertThat(pool.idle()).isZero();
    }
}
