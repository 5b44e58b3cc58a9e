package io.tributary.examples.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How the read model splits a batch's rows into multi-row statements on H2. */
class MultiRowChunksTest {

    @Test
    void splitsRowsIntoStatementsOfAtMost64RowsThenPowersOfTwo() {
        assertThat(OrderSummaryProjection.chunkSizes(0)).isEmpty();
        assertThat(OrderSummaryProjection.chunkSizes(1)).containsExactly(1);
        assertThat(OrderSummaryProjection.chunkSizes(45)).containsExactly(32, 8, 4, 1);
        assertThat(OrderSummaryProjection.chunkSizes(64)).containsExactly(64);
        assertThat(OrderSummaryProjection.chunkSizes(200)).containsExactly(64, 64, 64, 8);
    }

    @Test
    void everyRowIsInExactlyOneStatementWhateverTheCount() {
        for (int n = 0; n < 300; n++) {
            int[] sizes = OrderSummaryProjection.chunkSizes(n);
            assertThat(Arrays.stream(sizes).sum()).as("rows of %d", n).isEqualTo(n);
            assertThat(Arrays.stream(sizes).boxed().toList()).as("sizes for %d", n)
                    .allMatch(s -> s <= 64 && Integer.bitCount(s) == 1);
        }
    }
}
