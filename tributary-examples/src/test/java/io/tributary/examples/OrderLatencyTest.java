package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The demo's latency figures: where an order's latency starts, and which orders are past the warm-up. */
class OrderLatencyTest {

    private static final long START = 1_700_000_000_000_000L;

    @Test
    void countsAnOrdersLatencyFromWhenItWasDueUnderARateNotFromItsPlacedTime() {
        OrderLatency latency = new OrderLatency(1000, 1); // order i due at START + i ms
        latency.started(START);
        latency.placed(0, START + 40_000); // the driver was 40 ms late
        latency.confirmed("o0000000", START + 40_000, START + 50_000);

        assertThat(latency.all().getMaxValue()).as("50 ms since it was due, not 10 ms since it was placed")
                .isBetween(49_900L, 50_100L);
    }

    @Test
    void countsFromThePlacedTimeWithoutARate() {
        OrderLatency latency = new OrderLatency(0, 1);
        latency.started(START);
        latency.placed(0, START + 40_000);
        latency.confirmed("o0000000", START + 40_000, START + 50_000);

        assertThat(latency.all().getMaxValue()).isBetween(9_990L, 10_010L);
    }

    @Test
    void theWarmUpCutDependsOnTheOrderNotOnWhenItsConfirmationArrives() {
        OrderLatency latency = new OrderLatency(1000, 2);
        latency.started(START);
        for (long i = 0; i < 4; i++) {
            latency.placed(i, START + i * 1000);
        }
        // Order 1 (warm-up) confirmed after a long pause, order 3 (steady) at once, order 2 (the first steady one)
        // late too: only 2 and 3 are in the steady figures.
        latency.confirmed("o0000001", START + 1000, START + 9_000_000);
        latency.confirmed("o0000003", START + 3000, START + 4000);
        latency.confirmed("o0000002", START + 2000, START + 8_000_000);

        assertThat(latency.all().getTotalCount()).isEqualTo(3);
        assertThat(latency.steady().getTotalCount()).isEqualTo(2);
        assertThat(latency.steady().getMaxValue()).isLessThan(8_100_000L);
    }

    @Test
    void theWarmUpLastsUntilTheFirstSteadyOrderWasDueUnderARateAndUntilItWasPlacedWithout() {
        OrderLatency paced = new OrderLatency(1000, 3); // order i due at START + i ms
        paced.started(START);
        assertThat(paced.warmupSeconds()).as("no order past the warm-up yet").isZero();
        paced.placed(3, START + 500_000); // placed late: the window still starts when it was due
        assertThat(paced.warmupSeconds()).isEqualTo(0.003);

        OrderLatency unpaced = new OrderLatency(0, 3);
        unpaced.started(START);
        unpaced.placed(3, START + 1_500_000);
        assertThat(unpaced.warmupSeconds()).isEqualTo(1.5);
    }

    @Test
    void orderIdsAndCustomerIdsReadAsTheFormatWroteThemAndOrderIdsParseBack() {
        for (long i : new long[]{0, 7, 42, 999, 1000, 65_536, 9_999_999, 10_000_000, 123_456_789}) {
            assertThat(OrderFulfilmentDemo.orderId(i)).isEqualTo(String.format(Locale.ROOT, "o%07d", i));
            assertThat(OrderFulfilmentDemo.orderNumber(OrderFulfilmentDemo.orderId(i))).isEqualTo(i);
            assertThat(OrderFulfilmentDemo.zeroPadded('c', i, 4)).isEqualTo(String.format(Locale.ROOT, "c%04d", i));
        }
    }

    @Test
    void leavesOutOrdersConfirmedAfterItStopped() {
        OrderLatency latency = new OrderLatency(0, 0);
        latency.started(START);
        latency.placed(0, START);
        latency.stop();
        latency.confirmed("o0000000", START, START + 1000);

        assertThat(latency.all().getTotalCount()).isZero();
    }
}
